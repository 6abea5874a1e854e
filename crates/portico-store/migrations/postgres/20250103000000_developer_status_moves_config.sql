-- A developer's status decides whether their applications may call APIs, so the gateway must
-- hear of every change to it, as it does for applications and registrations.
CREATE TRIGGER developers_config_version AFTER UPDATE OF status OR DELETE ON developers
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
