/**
 * @fusebox/importer/vue: the importer as a Vue component (Vue 3), with the React component's props
 * and its callbacks as events: `complete`, `cancel`, `error`, `close`.
 *
 *     <FuseboxImporter v-if="open" server-url="http://127.0.0.1:8787" importer-slug="contacts"
 *       :get-session-token="getToken" @complete="save" @close="open = false" />
 *
 * It opens the importer when it mounts, closes it when it unmounts, and opens it again (a new
 * session) when a prop changes.
 */
import { defineComponent, getCurrentInstance, h, nextTick, onBeforeUnmount, onMounted, ref, watch, type PropType } from 'vue';
import type { CompletePayload, CustomStyles, ImporterError, Locale } from '../../../src/sdk/importer';
import { openImporter, reopenKey, type FuseboxImporterProps, type ImporterHandle, type SessionTokenRequest } from './component';

export type { CompletePayload, CustomStyles, ImportCounts, Locale } from '../../../src/sdk/importer';
export { ImporterError } from '../../../src/sdk/importer';
export type { FuseboxImporterProps, SessionTokenRequest } from './component';

export const FuseboxImporter = defineComponent({
  name: 'FuseboxImporter',
  props: {
    serverUrl: { type: String, required: true },
    importerSlug: String,
    sessionToken: String,
    getSessionToken: Function as PropType<(request: SessionTokenRequest) => Promise<string> | string>,
    publishableKey: String,
    metadata: Object as PropType<Record<string, unknown>>,
    locale: String as PropType<Locale | string>,
    inline: Boolean,
    styles: Object as PropType<CustomStyles>,
  },
  emits: {
    complete: (_result: CompletePayload) => true,
    cancel: () => true,
    error: (_error: ImporterError) => true,
    close: () => true,
  },
  setup(props, { emit }) {
    const element = ref<HTMLElement | null>(null);
    let handle: ImporterHandle | null = null;
    let mounted = false;
    // Without an @error listener, errors go to the console (as the SDK does without onError).
    const instance = getCurrentInstance();
    const hasErrorListener = () => typeof instance?.vnode.props?.onError === 'function';
    const current = (): FuseboxImporterProps => ({
      ...props,
      onComplete: (r) => emit('complete', r),
      onCancel: () => emit('cancel'),
      onClose: () => emit('close'),
      onError: (e) => (hasErrorListener() ? emit('error', e) : console.error(e)),
    });
    const open = () => {
      if (!mounted) return;
      handle?.close();
      handle = openImporter(current, element.value);
    };
    onMounted(() => {
      mounted = true;
      open();
    });
    // A changed prop (deeply: metadata, styles) opens a new session, once the element is rendered.
    watch(
      () => reopenKey(props),
      () => void nextTick(open),
    );
    onBeforeUnmount(() => {
      mounted = false;
      handle?.close();
      handle = null;
    });
    return () => (props.inline ? h('div', { ref: element, 'data-fusebox-importer': '' }) : null);
  },
});

export default FuseboxImporter;
