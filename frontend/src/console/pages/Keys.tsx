import { ComingPage } from '../components';

export default function Keys() {
  return (
    <ComingPage
      title="Keys & Sessions"
      subtitle="API keys for host app backends and the importer sessions they issue."
      feature="API keys and sessions"
    >
      <p>Keys are shown once when created and stored hashed; sessions are short-lived and can be revoked.</p>
    </ComingPage>
  );
}
