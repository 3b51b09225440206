-- Seat holds that write no index entry.
--
-- A hold changes a seat's status and reservation_id. When no index covers either column and
-- the seat's page has room, PostgreSQL writes the new version of the row beside the old one
-- (a heap-only tuple) and leaves every index of the seat as it was: a hold then costs one row
-- write instead of one row and three index entries. So seats are no longer indexed by their
-- reservation (the seats of a reservation are found through reservation_seats), and their
-- pages keep a fifth free for the versions that holds, sales and releases write. The fill
-- factor applies to the pages of seats inserted from now on.
DROP INDEX seats_by_reservation;
ALTER TABLE seats SET (fillfactor = 80);
