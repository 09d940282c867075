import { LabIcon } from '@jupyterlab/ui-components';

/** "Lineage": boxes joined as a tree (Material's account_tree), in the theme's icon colour. */
export const lineageIcon = new LabIcon({
  name: 'jupyter-orch:lineage',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<path d="M22 11V3h-7v3H9V3H2v8h7V8h2v10h4v3h7v-8h-7v3h-2V8h2v3z"/>' +
    '</g></svg>'
});
