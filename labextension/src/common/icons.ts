import { LabIcon } from '@jupyterlab/ui-components';

import archiveSvg from '../../style/icons/archive.svg';
import orchestrationSvg from '../../style/icons/orchestration.svg';
import pinSvg from '../../style/icons/pin.svg';
import scheduleSvg from '../../style/icons/schedule.svg';

/** One of our icons, named `jupyter-orch:<name>` in JupyterLab's icon registry. */
function orchIcon(name: string, svgstr: string): LabIcon {
  return new LabIcon({ name: `jupyter-orch:${name}`, svgstr });
}

/** The sidebar tab's icon: three steps joined as a DAG. */
export const orchestrationIcon = orchIcon('orchestration', orchestrationSvg);

/** "Schedule this notebook...": a clock. */
export const scheduleIcon = orchIcon('schedule', scheduleSvg);

/** "Archive": a box with an arrow into it. */
export const archiveIcon = orchIcon('archive', archiveSvg);

/** A pinned run (retention never deletes it): a push pin. */
export const pinIcon = orchIcon('pin', pinSvg);
