import { ComingPage } from '../components';

export default function Importers() {
  return (
    <ComingPage
      title="Importers"
      subtitle="CSV and Excel importers that host apps embed with the importer SDK."
      feature="the importer"
    >
      <p>Each importer defines its columns, types and validations, and where accepted rows go.</p>
    </ComingPage>
  );
}
