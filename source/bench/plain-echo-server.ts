/**
 * The baseline: a bare Node `net` echo server, no accounting. The bench runs it in a process of its
 * own under the same load as each model. Optional per-message work mirrors the models' settings:
 * `--work-ms N` busy CPU, `--delay-ms N` a timer before the reply (order kept: equal timers fire in order).
 * `--backlog N`: the listen backlog of the model it is compared with (Node's default 511 otherwise).
 */
import net from 'node:net';

const arg = (name: string) => Number(process.argv[process.argv.indexOf(name) + 1] ?? 0) || 0;
const workMs = process.argv.includes('--work-ms') ? arg('--work-ms') : 0;
const delayMs = process.argv.includes('--delay-ms') ? arg('--delay-ms') : 0;
const backlog = process.argv.includes('--backlog') ? arg('--backlog') : 511;

const server = net.createServer((socket) => {
	socket.setNoDelay(true);
	socket.on('error', () => {});
	socket.on('data', (chunk) => {
		if (workMs > 0) for (const end = performance.now() + workMs; performance.now() < end;);
		if (delayMs > 0) setTimeout(() => socket.write(chunk), delayMs);
		else socket.write(chunk);
	});
});

server.listen({host: '127.0.0.1', port: 0, backlog}, () => {
	const address = server.address() as net.AddressInfo;
	if (process.send) process.send({type: 'ready', port: address.port, pid: process.pid});
	else console.log(`plain echo server on 127.0.0.1:${address.port}`);
});
process.on('disconnect', () => process.exit(0));
