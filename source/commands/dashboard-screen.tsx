import type {Controller} from '../live/controller.js';
import {isUnicodeSafe, runFullScreen} from '../terminal/index.js';
import {App, firstWindow} from '../ui/app.js';

/**
 * The dashboard's screen, in a module of its own: React, Ink and Yoga are most of the program, and
 * {@link runDashboard} loads them while the server starts.
 */
export async function showDashboard(
	controller: Controller,
	color: boolean,
	cleanup: () => Promise<void>,
): Promise<void> {
	// The rows the first frame has room for, before it renders: it renders once, not twice.
	controller.setWindow(firstWindow());
	// Read again now that the screen is loaded: the first frame shows the figures of its moment.
	await controller.refresh();
	await runFullScreen(<App source={controller} ascii={!isUnicodeSafe()} />, {
		noColor: !color,
		cleanup,
	});
}
