-- The hold path, made lighter.
--
-- A foreign key from reservations to schedules makes every inserted hold run a query that
-- locks the schedule's row FOR KEY SHARE: the row every hold of a busy sale also counts on.
-- The hold reads its schedule in the same transaction and schedules are never deleted;
-- `boxoffice audit` checks that every reservation belongs to a schedule.
ALTER TABLE reservations DROP CONSTRAINT reservations_schedule_id_fkey;
