import type {ClientsView} from '../clients/meter.js';
import {useTerminalSize} from './app.js';
import {commandFor} from './keys.js';
import {ClientsPanel} from './panels/clients.js';
import {useKeys} from './use-keys.js';
import {useLatest, type Published} from './use-source.js';

export type ClientsAppProps = {
	/** The clients' figures, as the meter gives them. */
	readonly figures: Published<ClientsView>;
	/** The two things its keys do. */
	readonly fleet: {
		readonly add: (count: number) => void;
		readonly drop: (count: number | 'all') => void;
	};
	readonly onQuit: () => void;
	/** `--timeout-ms`, for the panel's late messages. */
	readonly timeoutMs: number | undefined;
};

/**
 * The `clients` command's screen: the figures as they come, as the dashboard reads its source, and
 * the dashboard's keys for clients (c/C add, x/X drop, q or Ctrl-C quit); the others mean nothing here.
 */
export function ClientsApp({figures, fleet, onQuit, timeoutMs}: ClientsAppProps) {
	const view = useLatest(figures);
	const {columns} = useTerminalSize();
	useKeys((key) => {
		const command = commandFor(key);
		if (command?.type === 'quit') onQuit();
		if (command?.type !== 'action') return;
		const {action} = command;
		if (action.type === 'add-clients') fleet.add(action.count);
		else if (action.type === 'drop-clients') fleet.drop(action.count);
	});
	return <ClientsPanel view={view} width={Math.min(80, columns)} timeoutMs={timeoutMs} />;
}
