import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

/**
 * The core jupyter-orch plugin.
 *
 * A placeholder until the pipelines UI lands: it only announces itself.
 */
const corePlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-orch:plugin',
  description: 'Notebook pipelines for JupyterLab: scheduled, monitored runs.',
  autoStart: true,
  activate: (app: JupyterFrontEnd): void => {
    console.log('jupyter-orch is activated');
  }
};

/**
 * Every plugin this extension provides; JupyterLab loads them all.
 */
const plugins: JupyterFrontEndPlugin<unknown>[] = [corePlugin];

export default plugins;
