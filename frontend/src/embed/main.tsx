import { mountStandalone, StandalonePage } from '../shared/Standalone';

mountStandalone(
  <StandalonePage title="Fusebox Importer">
    <p>This page arrives with the importer: host apps will embed it through the importer SDK.</p>
  </StandalonePage>,
);
