import { DISPLAY_NAME_MAX, type ChannelState, type Persona } from "../state.ts";
import { html, page } from "../ui/html.ts";

/** The consent screen LINE shows during LINE Login, with the bot-link (add friend) option. */
export function authorizePage(opts: {
  channel: ChannelState;
  personas: Persona[];
  currentUserId?: string;
  params: URLSearchParams;
  addFriendDefault: boolean;
  alreadyFriend: boolean;
}): string {
  const hidden = [...opts.params.entries()].map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  const personaChoices = opts.personas.map(
    (p) => html`<li><label class="row grow"><input type="radio" name="userId" value="${p.userId}" ${p.userId === opts.currentUserId ? html`checked` : ""}>
      <span class="grow">${p.displayName}</span></label></li>`,
  );
  const body = html`
  <form method="post" action="/oauth2/v2.1/authorize">
    ${hidden}
    <section>
      <h2>Log in to the service as</h2>
      <ul class="list">${personaChoices}
        <li><label class="row grow"><input type="radio" name="userId" value="" ${!opts.currentUserId ? html`checked` : ""}>
          <span>New LINE user:</span></label></li>
      </ul>
      <label for="newName">Display name of the new user</label>
      <input type="text" id="newName" name="newName" maxlength="${DISPLAY_NAME_MAX}" placeholder="Your name">
    </section>
    <section>
      <h2>Permissions</h2>
      <p>This service will receive your profile information (name, profile photo) and your user ID.</p>
      ${
        opts.alreadyFriend
          ? html`<p class="muted">You are already friends with ${opts.channel.botName} (${opts.channel.basicId}).</p>`
          : html`<label class="row"><input type="checkbox" name="addFriend" value="1" ${opts.addFriendDefault ? html`checked` : ""}>
          <span>Add <strong>${opts.channel.botName}</strong> (${opts.channel.basicId}) as a friend</span></label>`
      }
    </section>
    <div class="row">
      <button type="submit" name="decision" value="allow">Allow</button>
      <button type="submit" name="decision" value="cancel" class="secondary">Cancel</button>
    </div>
  </form>`;
  return page("LINE Login", body);
}
