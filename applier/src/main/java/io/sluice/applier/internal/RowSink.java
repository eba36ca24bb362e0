package io.sluice.applier.internal;

import io.sluice.format.ChangeEvent;
import io.sluice.format.TableId;
import java.util.List;

/**
 * Where a {@link GroupCollapser} writes each key's final state: per table, many rows of one shape
 * at once. The applier turns them into the store's prepared work ({@link FollowerStore#insertMany}
 * and the others).
 */
public interface RowSink {

    /** Deletes rows by key. */
    void deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> rows);

    /** Updates rows by key; every row sets exactly the columns {@code set}. */
    void updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> rows);

    /** Inserts rows that all carry exactly the columns {@code cols}. */
    void insertMany(TableId table, List<String> cols, List<ChangeEvent.Insert> rows);
}
