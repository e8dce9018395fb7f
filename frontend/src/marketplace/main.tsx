import { mountStandalone, StandalonePage } from '../shared/Standalone';

mountStandalone(
  <StandalonePage title="Fusebox Marketplace">
    <p>This page arrives with the marketplace: end users will reach it through a signed link.</p>
  </StandalonePage>,
);
