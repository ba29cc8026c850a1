import {closeSync, writeSync} from 'node:fs';
import {TOKEN_ENV} from '../options/endpoints.js';
import {createPrivateFile} from '../remote/private-folder.js';

/** A user's mistake: one line on stderr, exit status 2, never a stack trace. */
export function fail(message: string): never {
	process.stderr.write(`concurrency-top: ${message}\n`);
	process.exit(2);
}

const TOKEN_FLAG = /^--control[-_]?token(=|$)/i;
const MASK = '***';

/** The command line with the token's value masked, whichever way it was given. */
export function maskedArguments(argv: readonly string[]): string[] {
	return argv.map((argument, index) => {
		const flag = TOKEN_FLAG.exec(argument);
		if (flag?.[1] === '=') return `${argument.slice(0, argument.indexOf('='))}=${MASK}`;
		return index > 0 && TOKEN_FLAG.exec(argv[index - 1]!)?.[1] === '' ? MASK : argument;
	});
}

/** `text` with every secret of this run (the token, from its flag or its variable) masked. */
export function withoutSecrets(
	text: string,
	argv: readonly string[] = process.argv.slice(2),
	env: NodeJS.ProcessEnv = process.env,
): string {
	const masked = maskedArguments(argv);
	const secrets = argv.filter((argument, index) => argument !== masked[index]);
	const fromFlags = secrets.map((argument) => argument.replace(/^--[^=]*=/, ''));
	let result = text;
	for (const secret of [...fromFlags, env[TOKEN_ENV] ?? '']) {
		if (secret.length > 0) result = result.split(secret).join(MASK);
	}
	return result;
}

/** Writes the details to a new 0600 file in the private folder; returns its path. */
function writeLog(details: string): string {
	const {fd, path} = createPrivateFile(`${process.pid}.log`);
	try {
		const header = `${new Date().toISOString()} concurrency-top ${maskedArguments(process.argv.slice(2)).join(' ')}`;
		writeSync(fd, withoutSecrets(`${header}\n${details}\n`));
	} finally {
		closeSync(fd);
	}
	return path;
}

/** Our mistake: a short line on stderr, the details in a log file whose path it gives, exit status 1. */
export function internalError(error: unknown): never {
	const message = error instanceof Error ? error.message : String(error);
	const details = error instanceof Error ? (error.stack ?? message) : message;
	let where: string;
	try {
		where = `details in ${writeLog(details)}`;
	} catch (logError: unknown) {
		const reason = logError instanceof Error ? logError.message : String(logError);
		where = `no log written: ${reason}`;
	}
	const line = withoutSecrets(message.split('\n')[0] ?? '');
	process.stderr.write(`concurrency-top: internal error: ${line} (${where})\n`);
	process.exit(1);
}
