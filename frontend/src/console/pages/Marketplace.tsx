import { ComingPage } from '../components';

export default function Marketplace() {
  return (
    <ComingPage
      title="Marketplace"
      subtitle="The embeddable integration catalog: listings, plans and end users."
      feature="the marketplace"
    >
      <p>End users reach the marketplace through signed links and install integrations under their plan's limits.</p>
    </ComingPage>
  );
}
