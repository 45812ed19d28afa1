-- Signed-in state is cached per process (src/server/directory/auth-cache.ts). Any change to what
-- a request's authentication reads — a session ended, a member's role or LINE grant, a company's
-- plan or LINE policy — says so on 'tsunagu_auth', whoever wrote it: this process, another
-- instance, the admin CLI or an operator in psql. Statement-level and without a payload: such
-- writes are rare, and every process simply forgets everything it cached.
CREATE FUNCTION notify_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tsunagu_auth', '');
  RETURN NULL;
END $$;

CREATE TRIGGER sessions_auth_changed AFTER UPDATE OR DELETE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER members_auth_changed AFTER UPDATE OR DELETE ON members FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER tenants_auth_changed AFTER UPDATE OR DELETE ON tenants FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
