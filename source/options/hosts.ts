import net from 'node:net';

/** Whether only this machine can reach `host`: the loopback range, ::1, or localhost. */
export function isLoopback(host: string): boolean {
	if (host === 'localhost') return true;
	if (net.isIPv4(host)) return host.startsWith('127.');
	if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./i.test(host);
	return false;
}

/** Where test clients connect to reach a server listening on `host`. */
export function clientHost(host: string): string {
	if (host === '0.0.0.0') return '127.0.0.1';
	if (host === '::') return '::1';
	return host;
}
