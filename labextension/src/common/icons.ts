import { LabIcon } from '@jupyterlab/ui-components';

import orchestrationSvg from '../../style/icons/orchestration.svg';
import scheduleSvg from '../../style/icons/schedule.svg';

/** The sidebar tab's icon: three steps joined as a DAG. */
export const orchestrationIcon = new LabIcon({
  name: 'jupyter-orch:orchestration',
  svgstr: orchestrationSvg
});

/** "Schedule this notebook...": a clock. */
export const scheduleIcon = new LabIcon({
  name: 'jupyter-orch:schedule',
  svgstr: scheduleSvg
});
