-- A common term's search walks the account's contacts newest first along the activity index and
-- tests each one's search_text. With search_text carried in the index, the walk reads the index
-- alone (an index-only scan, for pages the visibility map marks all-visible) instead of fetching
-- every contact's row: on 1,000,000 contacts, walking 1,452 of them took 0.44-0.55 ms instead of
-- 0.75-0.97 ms. The index grows from 68 MB to 123 MB at that size; listings by last activity read
-- it as before.
CREATE INDEX contacts_activity_walk ON contacts (account_id, last_activity_at DESC NULLS LAST, id DESC)
  INCLUDE (search_text);
DROP INDEX contacts_activity_order;
ALTER INDEX contacts_activity_walk RENAME TO contacts_activity_order;
