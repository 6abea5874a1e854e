-- A developer's status decides whether their applications may call APIs, so the gateway must
-- hear of every change to it, as it does for applications and registrations.
CREATE TRIGGER developers_update_config_version AFTER UPDATE OF status ON developers
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER developers_delete_config_version AFTER DELETE ON developers
BEGIN UPDATE config_version SET version = version + 1; END;
