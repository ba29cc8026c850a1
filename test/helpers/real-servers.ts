import {execFileSync, spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {once} from 'node:events';
import {chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {waitFor} from './net.js';

// Servers from Debian's packages, each started on a free port of 127.0.0.1 with its files in a
// temporary folder of its own, and ended with it: nothing global is started or changed.

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((file) => existsSync(file));

/** The folder of PostgreSQL's programs (initdb, postgres): the newest /usr/lib/postgresql/N/bin. */
export const PG_BIN = (() => {
	try {
		const versions = readdirSync('/usr/lib/postgresql')
			.filter((name) => existsSync(`/usr/lib/postgresql/${name}/bin/postgres`))
			.sort((a, b) => Number(b) - Number(a));
		return versions[0] === undefined ? undefined : `/usr/lib/postgresql/${versions[0]}/bin`;
	} catch {
		return undefined;
	}
})();

/** A port of 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
	const server = net.createServer().listen(0, '127.0.0.1');
	await once(server, 'listening');
	const {port} = server.address() as net.AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
}

export type RealServer = {
	readonly process: ChildProcess;
	readonly port: number;
	readonly stop: () => Promise<void>;
};

async function listening(port: number, child: ChildProcess, what: string): Promise<void> {
	await waitFor(
		() => {
			if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode})`);
			return execFileSync('ss', ['-ltnH', `sport = :${port}`], {encoding: 'utf8'}).includes(
				'LISTEN',
			);
		},
		`${what} to listen on ${port}`,
		30_000,
	);
}

async function ending(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = once(child, 'exit');
	child.kill(signal);
	const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
	await exited;
	clearTimeout(timer);
}

/** nginx, a master and `worker_processes 2` event-loop workers, in the foreground (`daemon off`). */
export async function startNginx(): Promise<RealServer> {
	const dir = mkdtempSync(path.join(tmpdir(), 'ct-nginx-'));
	const port = await freePort();
	const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
		.map((name) => `${name}_temp_path ${dir}/${name};`)
		.join('\n\t');
	writeFileSync(
		path.join(dir, 'nginx.conf'),
		`worker_processes 2;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
	access_log off;
	keepalive_timeout 120s;
	${temp}
	server {
		listen 127.0.0.1:${port};
		location / { return 200 "ok\\n"; }
	}
}
`,
	);
	const child = spawn(NGINX!, ['-p', dir, '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`], {
		stdio: 'ignore',
	});
	await listening(port, child, 'nginx');
	return {
		process: child,
		port,
		// SIGQUIT: nginx's graceful stop.
		stop: async () => {
			await ending(child, 'SIGQUIT');
			rmSync(dir, {recursive: true, force: true});
		},
	};
}

/** The uid and gid of the postgres user, to run PostgreSQL as when we are root (it refuses root). */
function postgresUser(): {uid: number; gid: number} | undefined {
	if (process.getuid?.() !== 0) return undefined;
	const entry = spawnSync('getent', ['passwd', 'postgres'], {encoding: 'utf8'}).stdout.split(':');
	return entry.length > 3 ? {uid: Number(entry[2]), gid: Number(entry[3])} : undefined;
}

/** Why PostgreSQL cannot run here, or null. */
export const postgresMissing: string | null =
	PG_BIN === undefined
		? 'PostgreSQL is not installed (/usr/lib/postgresql/*/bin)'
		: process.getuid?.() === 0 && postgresUser() === undefined
			? 'no postgres user to run PostgreSQL as'
			: null;

/** PostgreSQL: a postmaster that forks a backend per connection, with its data in a temporary folder. */
export async function startPostgres(): Promise<RealServer> {
	const dir = mkdtempSync(path.join(tmpdir(), 'ct-postgres-'));
	const user = postgresUser();
	if (user) chownSync(dir, user.uid, user.gid);
	const as = user ? {uid: user.uid, gid: user.gid} : {};
	const data = path.join(dir, 'data');
	const init = spawnSync(
		`${PG_BIN}/initdb`,
		['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync'],
		{...as, encoding: 'utf8', cwd: dir},
	);
	if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
	const port = await freePort();
	const child = spawn(
		`${PG_BIN}/postgres`,
		['-D', data, '-k', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'],
		{...as, stdio: 'ignore', cwd: dir},
	);
	await listening(port, child, 'postgres');
	return {
		process: child,
		port,
		// SIGINT: PostgreSQL's fast shutdown (ends the backends, then the postmaster).
		stop: async () => {
			await ending(child, 'SIGINT');
			rmSync(dir, {recursive: true, force: true});
		},
	};
}

/** An idle psql session: connected, its standard input open, so it holds the connection. */
export async function psqlSession(port: number): Promise<ChildProcess> {
	const psql = spawn(
		'psql',
		['-X', '-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres'],
		{stdio: ['pipe', 'pipe', 'ignore']},
	);
	// A query answered: the session is up.
	psql.stdin!.write('select 1 as ready;\n');
	let output = '';
	psql.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
	await waitFor(() => output.includes('ready'), 'psql to connect', 30_000);
	return psql;
}
