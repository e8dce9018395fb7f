-- PostgreSQL twin of ../0023_relay_send_slots.sql (INTEGER is BIGINT).
-- A slot of a destination's sending budget, held by one request in flight
-- when the destination has a sync inbound route: sync requests (sent by
-- whichever replica, or SQLite worker, the sender reached) and the lane's
-- background deliveries each hold a row while they send, so together they
-- stay within the destination's concurrency; the rate limit's next slot
-- (relay_lanes.next_send_at) is taken in the same transaction. A row whose
-- held_until (Unix milliseconds) has passed is free again: a process that
-- died mid-request does not keep its slot.
CREATE TABLE relay_send_slots (
    destination_id TEXT NOT NULL REFERENCES relay_destinations (id) ON DELETE CASCADE,
    holder         TEXT NOT NULL,
    held_until     BIGINT NOT NULL,
    PRIMARY KEY (destination_id, holder)
);
