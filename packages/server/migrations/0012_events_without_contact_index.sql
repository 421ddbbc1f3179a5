-- Nothing reads events by contact (a contact's history is in activities), while every event
-- written, and every one the dispatcher marks, paid for an entry in this index.
DROP INDEX events_of_contact;
