import { ComingPage } from '../components';

export default function Settings() {
  return (
    <ComingPage
      title="Settings"
      subtitle="Workspace settings for this Fusebox."
      feature="workspace settings"
    >
      <p>Until then the workspace is configured with a YAML file: <code>fusebox apply FILE</code> and <code>fusebox export</code>.</p>
    </ComingPage>
  );
}
