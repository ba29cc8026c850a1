import {useSyncExternalStore} from 'react';

/**
 * Anything a screen draws from: its latest value, and news of each new one. A dashboard source
 * (`metrics/source.ts`), the `clients` command's figures and the compare session all are one.
 * `snapshot` must stay the same object until the next news (React compares it to know what changed).
 */
export type Published<T> = {
	readonly snapshot: T;
	/** Calls `listener` on each new value; returns the unsubscribe function. */
	readonly subscribe: (listener: () => void) => () => void;
};

/** The latest value of `source`; the component draws again on each new one. */
export function useLatest<T>(source: Published<T>): T {
	return useSyncExternalStore(source.subscribe, () => source.snapshot);
}

/**
 * Publishes values to whoever subscribed: the owner sets `snapshot` with {@link publish}. For a value
 * read off something on a timer (the `clients` command's meter) or changed by keys (the dashboard's
 * view state, which the next key reads at once, before React renders).
 */
export class Publisher<T> implements Published<T> {
	readonly #listeners = new Set<() => void>();

	constructor(public snapshot: T) {}

	/** The new value, to every subscriber. */
	publish(value: T): void {
		this.snapshot = value;
		for (const listener of this.#listeners) listener();
	}

	readonly subscribe = (listener: () => void): (() => void) => {
		this.#listeners.add(listener);
		return () => {
			this.#listeners.delete(listener);
		};
	};
}
