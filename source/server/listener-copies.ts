/**
 * Entry point of a short-lived child (acceptor.ts): sent a listening socket's handle and a count, it
 * sends the handle back that many times. Each one the parent receives is a new descriptor on the
 * same listening socket (SCM_RIGHTS duplicates it), which Node has no other way to do. It never
 * listens or accepts, loads nothing, and ends when the parent closes the channel.
 *
 * It says `ready` first and is sent the handle only then, and closes its copy once the last one is
 * written: it holds the socket for milliseconds, so a parent killed meanwhile frees the port at once
 * rather than after this child's start-up.
 */
const send = process.send?.bind(process);
if (!send) {
	console.error('listener-copies must be forked by concurrency-top (it needs an IPC channel)');
	process.exit(1);
}
process.once('message', (count: unknown, handle?: {close(): void}) => {
	if (typeof count !== 'number' || !handle) process.exit(1);
	let written = 0;
	// A raw handle (not a net.Server) travels as 'net.Native': the receiver only wraps it.
	for (let i = 0; i < count; i++) {
		send('copy', handle as never, undefined, () => {
			if (++written === count) handle.close();
		});
	}
});
process.on('disconnect', () => process.exit(0));
send('ready');
