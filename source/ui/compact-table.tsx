import {Table} from '@alcalzone/ink-table';

type Scalar = string | number | boolean | null | undefined;

/**
 * ink-table without the separator line between rows: in a 24-row terminal that line costs half the
 * rows. Columns are sized to their content, as ink-table does.
 */
export class CompactTable<T extends Record<string, Scalar>> extends Table<T> {
	constructor(props: ConstructorParameters<typeof Table<T>>[0]) {
		super(props);
		this.separator = () => <></>;
	}
}
