-- The watermark's compare-and-set fails inside the statement that moves it, so that the move and
-- the follower transaction's COMMIT can go to the follower together (one round trip): a move that
-- found the watermark elsewhere (another applier committed over this one's last position) raises
-- this error, the COMMIT after it never runs, and the applier rolls back and stops, naming both
-- positions (docs/applier.md, "Exactly once in effect").
CREATE FUNCTION watermark_moved_elsewhere() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the watermark is no longer where this applier last saw it' USING ERRCODE = 'SLW01';
END
$$;
