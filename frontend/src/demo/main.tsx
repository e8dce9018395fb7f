import { mountStandalone, StandalonePage } from '../shared/Standalone';

mountStandalone(
  <StandalonePage title="Fusebox Demo App">
    <p>This page arrives with the demo: a sample host app that embeds the importer and the marketplace.</p>
  </StandalonePage>,
);
