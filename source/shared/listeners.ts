/** Whoever listens to one kind of news, and telling them all. */
export class Listeners<T> {
	readonly #listeners = new Set<(news: T) => void>();

	/**
	 * Adds `listener`; returns what removes it. An arrow, so a source can hand it on as it is (React's
	 * useSyncExternalStore takes `subscribe` that way).
	 */
	readonly add = (listener: (news: T) => void): (() => void) => {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	};

	tell(news: T): void {
		for (const listener of this.#listeners) listener(news);
	}
}
