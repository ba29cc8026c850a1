import {Text} from '#ink';
import {formatBytes, formatCount, formatDuration} from '../../format.js';
import type {Snapshot} from '../../metrics/snapshot.js';
import {useGlyphs} from '../glyphs.js';
import {Panel} from '../panel.js';
import {sparkline} from '../sparkline.js';

export type TrafficPanelProps = {
	readonly traffic: Snapshot['traffic'];
	readonly latency: Snapshot['latency'];
	readonly settings: Snapshot['server']['settings'];
	readonly width: number;
};

const latency = (ms: number | null) => (ms === null ? '-' : formatDuration(ms));

/** Echo traffic from the server's own counts; round trips from the test clients' timers. */
export function TrafficPanel({traffic, latency: rtt, settings, width}: TrafficPanelProps) {
	const {bars} = useGlyphs();
	const inner = width - 2;
	const peak = Math.max(0, ...traffic.history);
	const peakLabel = ` peak ${formatCount(peak)}/s`;
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
				<Text color={settings.workMs > 0 ? 'yellow' : undefined}>{`${settings.workMs}ms`}</Text>
				<Text dimColor>{'  delay '}</Text>
				<Text color={settings.delayMs > 0 ? 'yellow' : undefined}>{`${settings.delayMs}ms`}</Text>
				<Text dimColor>{'  per message'}</Text>
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
