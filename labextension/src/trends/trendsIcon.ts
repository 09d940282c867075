import { LabIcon } from '@jupyterlab/ui-components';

/** "Trends": three bars of a chart (Material's bar_chart), in the theme's icon colour. */
export const trendsIcon = new LabIcon({
  name: 'jupyter-orch:trends',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<path d="M5 9.2h3V19H5zM10.6 5h2.8v14h-2.8zm5.6 8H19v6h-2.8z"/>' +
    '</g></svg>'
});
