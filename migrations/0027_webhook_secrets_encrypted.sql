-- Issue #16: webhook endpoint secrets are stored encrypted (AES-256-GCM, webhooks/secret_box.py):
-- `enc1:` + base64(nonce || ciphertext). Rows from before stay readable as `whsec_...` until rotated.
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_secret_check;
ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_secret_check
    CHECK (secret LIKE 'enc1:%' OR secret LIKE 'whsec\_%');
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_previous_secret_check;
ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_previous_secret_check
    CHECK (previous_secret LIKE 'enc1:%' OR previous_secret LIKE 'whsec\_%');
