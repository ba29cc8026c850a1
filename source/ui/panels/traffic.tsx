import {Text} from '#ink';
import {formatBytes, formatCount, formatDuration} from '../../shared/format.js';
import type {Snapshot, WatchFigures} from '../../metrics/snapshot.js';
import {useGlyphs} from '../glyphs.js';
import {Figures, Panel, percentiles} from '../panel.js';
import {sparkline} from '../sparkline.js';

export type TrafficPanelProps = {
	readonly traffic: Snapshot['traffic'];
	readonly latency: Snapshot['latency'];
	readonly settings: Snapshot['server']['settings'];
	/** A watched server: no message counts or settings of its own, bytes held in the kernel instead. */
	readonly watch?: WatchFigures | undefined;
	readonly width: number;
};

/** A setting in whole ms (`0ms`, `250ms`), or seconds from one on: `work 10.0s  delay 1m00s  per msg` fits. */
const setting = (ms: number) => (ms < 1000 ? `${ms}ms` : formatDuration(ms));

/** A rate, right-aligned in five columns. */
const count = (value: number) => formatCount(value).padStart(5);
const bytes = (value: number) => formatBytes(value).padStart(5);

/** Echo traffic from the server's own counts; round trips from the test clients' timers. */
export function TrafficPanel({traffic, latency: rtt, settings, watch, width}: TrafficPanelProps) {
	const {bars} = useGlyphs();
	const inner = width - 2;
	const peak = Math.max(0, ...traffic.history);
	const peakLabel = ` peak ${formatCount(peak)}/s`;
	if (watch) return <WatchedTraffic traffic={traffic} latency={rtt} watch={watch} width={width} />;
	return (
		<Panel title="Traffic" width={width}>
			<Figures
				parts={[
					['lines/s in ', count(traffic.messagesInPerSec)],
					[' out ', count(traffic.messagesOutPerSec)],
				]}
			/>
			<Figures
				parts={[
					['recv/s  in ', count(traffic.readsPerSec)],
					[' B/s ', bytes(traffic.bytesInPerSec)],
					['/', formatBytes(traffic.bytesOutPerSec)],
				]}
			/>
			<Figures parts={percentiles('rtt    ', rtt)} />
			<Figures
				parts={[
					['work ', <Setting ms={settings.workMs} />],
					['  delay ', <Setting ms={settings.delayMs} />],
					['  per msg', ''],
				]}
			/>
			<Text wrap="truncate">
				<Text color="green">
					{sparkline(traffic.history, Math.max(0, inner - peakLabel.length), bars)}
				</Text>
				<Text dimColor>{peakLabel}</Text>
			</Text>
		</Panel>
	);
}

/** A setting of work or delay per message; yellow when not none. */
function Setting({ms}: {readonly ms: number}) {
	return <Text color={ms > 0 ? 'yellow' : undefined}>{setting(ms)}</Text>;
}

/**
 * A server we only watch: bytes from the kernel's per-connection counters, round trips from our own
 * test clients (when they are the load), and what sits in the kernel's buffers.
 */
function WatchedTraffic({
	traffic,
	latency: rtt,
	watch,
	width,
}: {
	readonly traffic: Snapshot['traffic'];
	readonly latency: Snapshot['latency'];
	readonly watch: WatchFigures;
	readonly width: number;
}) {
	return (
		<Panel title="Traffic" width={width}>
			<Figures
				parts={[
					['B/s   in ', bytes(traffic.bytesInPerSec)],
					[' out ', bytes(traffic.bytesOutPerSec)],
				]}
			/>
			<Figures parts={percentiles('rtt  ', rtt)} />
			<Figures
				parts={[
					[
						'Recv-Q   ',
						<Text color={watch.unreadBytes > 0 ? 'yellow' : undefined}>
							{bytes(watch.unreadBytes)}
						</Text>,
					],
					[' Send-Q ', bytes(watch.unsentBytes)],
				]}
			/>
			<Text dimColor wrap="truncate">
				{'bytes held in the kernel'}
			</Text>
			<Text dimColor wrap="truncate">
				{`total in ${formatBytes(traffic.bytesInTotal)} out ${formatBytes(traffic.bytesOutTotal)}`}
			</Text>
		</Panel>
	);
}
