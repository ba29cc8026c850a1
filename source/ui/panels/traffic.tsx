import {Text} from '#ink';
import {formatBytes, formatCount, formatDuration} from '../../shared/format.js';
import type {Snapshot, WatchFigures} from '../../metrics/snapshot.js';
import {useGlyphs} from '../glyphs.js';
import {Panel} from '../panel.js';
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

const latency = (ms: number | null) => (ms === null ? '-' : formatDuration(ms));

/** Echo traffic from the server's own counts; round trips from the test clients' timers. */
export function TrafficPanel({traffic, latency: rtt, settings, watch, width}: TrafficPanelProps) {
	const {bars} = useGlyphs();
	const inner = width - 2;
	const peak = Math.max(0, ...traffic.history);
	const peakLabel = ` peak ${formatCount(peak)}/s`;
	if (watch) return <WatchedTraffic traffic={traffic} latency={rtt} watch={watch} width={width} />;
	return (
		<Panel title="Traffic" width={width}>
			<Text wrap="truncate">
				<Text dimColor>{'lines/s in '}</Text>
				{formatCount(traffic.messagesInPerSec).padStart(5)}
				<Text dimColor>{' out '}</Text>
				{formatCount(traffic.messagesOutPerSec).padStart(5)}
			</Text>
			<Text wrap="truncate">
				<Text dimColor>{'recv/s  in '}</Text>
				{formatCount(traffic.readsPerSec).padStart(5)}
				<Text dimColor>{' B/s '}</Text>
				{formatBytes(traffic.bytesInPerSec).padStart(5)}
				<Text dimColor>/</Text>
				{formatBytes(traffic.bytesOutPerSec)}
			</Text>
			<Text wrap="truncate">
				<Text dimColor>{'rtt    p50 '}</Text>
				{latency(rtt.p50Ms).padStart(6)}
				<Text dimColor>{' p99 '}</Text>
				{latency(rtt.p99Ms).padStart(6)}
			</Text>
			<Text wrap="truncate">
				<Text dimColor>{'work '}</Text>
				<Text color={settings.workMs > 0 ? 'yellow' : undefined}>{setting(settings.workMs)}</Text>
				<Text dimColor>{'  delay '}</Text>
				<Text color={settings.delayMs > 0 ? 'yellow' : undefined}>{setting(settings.delayMs)}</Text>
				<Text dimColor>{'  per msg'}</Text>
			</Text>
			<Text wrap="truncate">
				<Text color="green">
					{sparkline(traffic.history, Math.max(0, inner - peakLabel.length), bars)}
				</Text>
				<Text dimColor>{peakLabel}</Text>
			</Text>
		</Panel>
	);
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
			<Text wrap="truncate">
				<Text dimColor>{'B/s   in '}</Text>
				{formatBytes(traffic.bytesInPerSec).padStart(5)}
				<Text dimColor>{' out '}</Text>
				{formatBytes(traffic.bytesOutPerSec).padStart(5)}
			</Text>
			<Text wrap="truncate">
				<Text dimColor>{'rtt  p50 '}</Text>
				{latency(rtt.p50Ms).padStart(6)}
				<Text dimColor>{' p99 '}</Text>
				{latency(rtt.p99Ms).padStart(6)}
			</Text>
			<Text wrap="truncate">
				<Text dimColor>{'Recv-Q   '}</Text>
				<Text color={watch.unreadBytes > 0 ? 'yellow' : undefined}>
					{formatBytes(watch.unreadBytes).padStart(5)}
				</Text>
				<Text dimColor>{' Send-Q '}</Text>
				{formatBytes(watch.unsentBytes).padStart(5)}
			</Text>
			<Text dimColor wrap="truncate">
				{'bytes held in the kernel'}
			</Text>
			<Text dimColor wrap="truncate">
				{`total in ${formatBytes(traffic.bytesInTotal)} out ${formatBytes(traffic.bytesOutTotal)}`}
			</Text>
		</Panel>
	);
}
