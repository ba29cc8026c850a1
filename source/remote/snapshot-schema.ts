/**
 * The Snapshot as a schema, checked against its type by the compiler: `SchemaFor<Snapshot>` needs every
 * field, of the right kind, and no other. `matchesSchema` checks a parsed value against it whole, so an
 * observer never draws a snapshot that has a hole or a wrong type anywhere in it.
 */
import {ACTIVITY_KINDS} from '../collectors/thread-activity.js';
import {SORT_KEYS} from '../metrics/connection-view.js';
import type {Snapshot} from '../metrics/snapshot.js';
import {PENDING_ROWS} from '../metrics/store.js';

export type Kind =
	| 'number'
	| 'string'
	| 'boolean'
	| {readonly nullable: Kind}
	| {readonly optional: Kind}
	| {readonly oneOf: readonly string[]}
	| {readonly array: Kind; readonly max?: number}
	| {readonly variants: readonly Kind[]}
	| {readonly object: {readonly [key: string]: Kind}};

type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never;
type Field<T> = undefined extends T
	? {readonly optional: SchemaFor<Exclude<T, undefined>>}
	: SchemaFor<T>;

/** The schema a value of type T must have: derived from the type, so the two cannot drift apart. */
export type SchemaFor<T> = null extends T
	? {readonly nullable: SchemaFor<Exclude<T, null>>}
	: [T] extends [number]
		? 'number'
		: [T] extends [boolean]
			? 'boolean'
			: [T] extends [string]
				? string extends T
					? 'string'
					: {readonly oneOf: readonly T[]}
				: [T] extends [readonly (infer U)[]]
					? {readonly array: SchemaFor<U>; readonly max?: number}
					: true extends IsUnion<T>
						? {readonly variants: readonly (T extends unknown ? SchemaFor<T> : never)[]}
						: {readonly object: {readonly [K in keyof T]-?: Field<T[K]>}};

/** Whether `value` has the shape `kind` describes, all the way down (extra fields are ignored). */
export function matchesSchema(value: unknown, kind: Kind): boolean {
	if (typeof kind === 'string') return typeof value === kind;
	if ('nullable' in kind) return value === null || matchesSchema(value, kind.nullable);
	if ('optional' in kind) return value === undefined || matchesSchema(value, kind.optional);
	if ('oneOf' in kind) return typeof value === 'string' && kind.oneOf.includes(value);
	if ('array' in kind) {
		return (
			Array.isArray(value) &&
			value.length <= (kind.max ?? Number.POSITIVE_INFINITY) &&
			value.every((item) => matchesSchema(item, kind.array))
		);
	}
	if ('variants' in kind) return kind.variants.some((variant) => matchesSchema(value, variant));
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
	const object = value as Record<string, unknown>;
	return Object.entries(kind.object).every(([key, field]) => matchesSchema(object[key], field));
}

const N = 'number';
const S = 'string';
const nullableNumber = {nullable: N} as const;
const byWorker = {
	variants: [
		{object: {kind: {oneOf: ['thread']}, id: N}},
		{object: {kind: {oneOf: ['process']}, pid: N}},
	],
} as const;

/** A snapshot holds at most this many connection rows (the widest window an observer may ask). */
export function snapshotSchema(maxRows: number): SchemaFor<Snapshot> {
	return {
		object: {
			at: N,
			server: {
				object: {
					mode: {nullable: S},
					host: S,
					port: N,
					handler: S,
					placement: {oneOf: ['in-process', 'worker', 'watched']},
					pid: nullableNumber,
					settings: {
						object: {
							workMs: N,
							delayMs: N,
							poolSize: N,
							maxConnections: nullableNumber,
							idleTimeoutMs: {optional: nullableNumber},
							maxWorkers: {optional: nullableNumber},
						},
					},
					notRespondingMs: {optional: nullableNumber},
					accept: {optional: {nullable: S}},
				},
			},
			workers: {
				object: {
					threads: N,
					processes: N,
					busy: N,
					rows: {
						array: {
							object: {
								worker: byWorker,
								mode: S,
								connection: nullableNumber,
								connections: N,
								ageMs: N,
								startupMs: nullableNumber,
							},
						},
					},
				},
			},
			connections: {
				object: {
					open: N,
					active: N,
					queued: N,
					acceptedTotal: N,
					sort: {oneOf: SORT_KEYS},
					filter: S,
					matching: N,
					offset: N,
					rows: {
						max: maxRows,
						array: {
							object: {
								id: N,
								peer: S,
								state: {oneOf: ['queued', 'active']},
								by: {variants: [{object: {kind: {oneOf: ['main']}}}, ...byWorker.variants]},
								waitIn: {nullable: {oneOf: ['line', 'pool', 'accept', 'unread']}},
								bytesIn: N,
								bytesOut: N,
								messagesIn: N,
								messagesOut: N,
								lastRttMs: nullableNumber,
								ageMs: N,
								waitMs: N,
								unread: {optional: N},
								unsent: {optional: N},
								threads: {
									optional: {
										array: {
											object: {pid: N, tid: N, kind: S, call: {nullable: S}, forMs: N},
										},
									},
								},
							},
						},
					},
					pending: {
						optional: {
							max: PENDING_ROWS,
							array: {
								object: {
									client: N,
									local: {nullable: S},
									where: {oneOf: ['kernel queue', 'not connected']},
									handshake: {nullable: {oneOf: ['syn-sent', 'half-open']}},
									sinceMs: N,
									synRetries: nullableNumber,
									retriesFrom: {nullable: {oneOf: ['kernel', 'derived']}},
								},
							},
						},
					},
				},
			},
			queue: {
				object: {
					waiting: N,
					oldestWaitMs: N,
					longestWaitMs: N,
					acceptQueue: nullableNumber,
					line: N,
					pool: N,
					output: {
						object: {
							sockets: N,
							bytes: N,
							messages: N,
							top: {array: {object: {id: N, bytes: N, messages: N}}},
						},
					},
					maxConnections: nullableNumber,
					atLimit: 'boolean',
					refusedTotal: N,
					stalled: N,
					refusing: {nullable: S},
					budget: {optional: {nullable: S}},
					kernel: {
						optional: {
							object: {
								backlog: nullableNumber,
								synSent: nullableNumber,
								synRetriesMax: N,
								listenOverflows: nullableNumber,
								listenDrops: nullableNumber,
							},
						},
					},
				},
			},
			traffic: {
				object: {
					messagesInPerSec: N,
					messagesOutPerSec: N,
					bytesInPerSec: N,
					bytesOutPerSec: N,
					readsPerSec: N,
					messagesTotal: N,
					readsTotal: N,
					messagesOutTotal: N,
					bytesInTotal: N,
					bytesOutTotal: N,
					history: {array: N},
				},
			},
			latency: {
				object: {p50Ms: nullableNumber, p99Ms: nullableNumber, maxMs: nullableNumber, samples: N},
			},
			clients: {
				object: {
					total: N,
					connected: N,
					waiting: N,
					connecting: {optional: N},
					unaccepted: {optional: N},
					wrongReplies: {optional: N},
					replyHint: {optional: S},
				},
			},
			os: {
				nullable: {
					object: {
						processes: {
							array: {
								object: {
									pid: N,
									name: S,
									threads: nullableNumber,
									rssBytes: N,
									cpuPercent: nullableNumber,
									cpuSeconds: {optional: N},
									tasks: {
										optional: {
											array: {
												object: {
													tid: N,
													name: S,
													state: S,
													cpuPercent: nullableNumber,
													activity: {
														optional: {
															object: {
																kind: {oneOf: ACTIVITY_KINDS},
																call: {nullable: S},
																fd: nullableNumber,
																inode: nullableNumber,
																from: {oneOf: ['syscall', 'wchan', 'stat']},
																forMs: N,
															},
														},
													},
													connection: {
														optional: {nullable: {object: {id: nullableNumber, peer: S}}},
													},
												},
											},
										},
									},
								},
							},
						},
						acceptQueue: nullableNumber,
						zombies: {optional: {array: {object: {pid: N, ppid: N, name: S}}}},
					},
				},
			},
			host: {
				nullable: {
					object: {
						cpuPercent: N,
						cpuBusySeconds: {optional: N},
						cpuIdleSeconds: {optional: N},
						cores: N,
						memUsedBytes: N,
						memTotalBytes: N,
					},
				},
			},
			events: {array: {object: {at: N, level: {oneOf: ['info', 'warn', 'error']}, text: S}}},
			watch: {
				optional: {
					object: {
						listeners: {array: {object: {address: S, port: N, acceptQueue: N, backlog: N}}},
						listenOverflows: nullableNumber,
						unreadBytes: N,
						unsentBytes: N,
						waitThresholdMs: N,
						missing: {nullable: S},
						owners: {optional: {array: N}},
						ended: {optional: {nullable: S}},
						rateWindow: {optional: {nullable: {object: {from: N, to: N}}}},
						connections: {
							optional: {
								array: {
									object: {
										id: N,
										peer: S,
										inode: N,
										owner: nullableNumber,
										waitIn: {nullable: {oneOf: ['line', 'pool', 'accept', 'unread']}},
									},
								},
							},
						},
						syscallRefused: {optional: {nullable: S}},
					},
				},
			},
		},
	};
}
