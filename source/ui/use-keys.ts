import {useStdin} from '#ink';
import {useEffect, useRef} from 'react';
import {answerInput, KeyReader, type KeyPress} from '../terminal/index.js';

/**
 * Key presses from the terminal, each sequence (mouse report, paste, terminal reply, function key)
 * parsed as one unit. The handler is read through a ref: keys that arrive in one chunk are handled
 * one after another before React renders again.
 */
export function useKeys(handler: (key: KeyPress) => void): void {
	const {internal_eventEmitter: input, setRawMode} = useStdin();
	const latest = useRef(handler);
	latest.current = handler;
	useEffect(() => {
		setRawMode(true);
		const reader = new KeyReader((key) => latest.current(key));
		const onInput = (chunk: string) => {
			answerInput();
			reader.push(chunk);
		};
		input.on('input', onInput);
		return () => {
			input.off('input', onInput);
			reader.dispose();
			setRawMode(false);
		};
	}, [input, setRawMode]);
}
