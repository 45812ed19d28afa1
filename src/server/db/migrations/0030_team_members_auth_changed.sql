-- A cached sign-in now carries the member's teams (src/server/directory/service.ts), which are
-- part of what the contact list's visibility test reads. A change of team membership, by
-- whoever writes it, says so on 0025's channel, so no process keeps listing by old teams.
CREATE TRIGGER team_members_auth_changed AFTER INSERT OR UPDATE OR DELETE ON team_members FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
