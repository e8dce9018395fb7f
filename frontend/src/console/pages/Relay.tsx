import { ComingPage } from '../components';

export default function Relay() {
  return (
    <ComingPage
      title="Relay"
      subtitle="HTTP destinations that receive imported rows and marketplace events."
      feature="the relay"
    >
      <p>Each destination will show its routes, its outbox and every delivery attempt.</p>
    </ComingPage>
  );
}
