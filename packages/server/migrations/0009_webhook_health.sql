-- Whether an endpoint's latest attempt got a 2xx answer (NULL until its first attempt). Senders
-- keep endpoints that are not known to answer, new or failing, to one delivery in flight and to
-- half of their slots together, so dead endpoints cannot take the slots healthy ones need.
ALTER TABLE webhooks ADD COLUMN last_attempt_ok boolean;
