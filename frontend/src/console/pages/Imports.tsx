import { ComingPage } from '../components';

export default function Imports() {
  return (
    <ComingPage
      title="Imports"
      subtitle="Files that end users uploaded through an importer."
      feature="the importer"
    >
      <p>Every import will be listed here with who made it, its progress and its rows.</p>
    </ComingPage>
  );
}
