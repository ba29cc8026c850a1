export {
	runFullScreen,
	answerInput,
	exitCodeForSignal,
	enterSequence,
	leaveSequence,
	type ExitReason,
	type FullScreenOptions,
} from './full-screen.js';
export {isUnicodeSafe, isColorDisabled} from './capabilities.js';
export {keyboardInput} from './keyboard.js';
export {parseFrame, diffGrids, blankGrid, graphemeWidth, type Grid} from './screen.js';
export {KeyReader, ESCAPE_WAIT_MS, type KeyPress, type KeyName} from './input.js';
