"""Every DynamoDB key of the single table is built here, and nowhere else.

(Longer than 400 lines on purpose: the whole layout in one place is the point; each key is a
small function, and the table below is the map of the table.)

Layout (PK / SK):
  POST#<slug>        #POST                    the post: body, HTML and what only its page shows.
                                              <slug> is the post's first slug, its permanent key:
                                              a rename changes the post's current_slug, never
                                              its partition (docs/decisions.md)
  SLUG#<slug>        #SLUG                    a slug a post was renamed to (an alias, or its
                                              current slug): the post's permanent key; reserves
                                              the slug for that post
  POST#<slug>        #SUMMARY                 the post's summary item: what a list shows (title,
                                              summary, labels, dates, status) and its counts
                                              (comment_count, favorites_count); a few hundred
                                              bytes whatever the body, so a comment, vote or
                                              favorite is billed for it, not for the body.
                                              "#POST" < "#SUMMARY" < "COMMENT#": one Query returns
                                              the post, its counts, then its comments
                                              (a locked thread: locked_at, locked_by on it)
  POST#<slug>        #THREAD#PIN              the thread's one pinned comment (a copy of what
                                              readers see of it): after #SUMMARY, before
                                              COMMENT#, so the one Query of a post page has it
  POST#<slug>        COMMENT#<ulid>           a public comment (or its tombstone)
  POST#<slug>        HELD#<ulid>              a comment held for moderation, or spam
  POST#<slug>        VOTE#<ulid>#<voter>      one voter's vote on a comment (+1 or -1)
  POST#<slug>        REACT#<target>#<reactor>#<emoji>  one reader's reaction (blog/reactions.py) on the
                                              post (target "post") or a comment (its ulid); the
                                              counts are a map on the summary or comment item
  COMMENTREF#<ulid>  #REF                     comment id -> its post, for /comments/{id}
  USER#<username>    #USER                    an account; after a rename, its old name's reservation:
                                              renamed_to (the current name), owner_id (the account's id);
                                              nobody else can take the name (blog/renames.py)
  RENAME#<account id>  #RENAME                a rename being carried out by the stream: the old and new
                                              names, the phase and the cursor it reached (deleted when done)
  EMAIL#<email>      #EMAIL                   keeps e-mail addresses unique
  LABEL#<label>      <published_at>#<slug>    label membership of a visible post, with the post's
                                              summary and counts (a label page is one Query)
  LABELS             <label>                  how many published posts carry a label
  ARCHIVE            <YYYY-MM>                how many posts were published that month
  SCHEDULE           <published_at>#<slug>    a scheduled post not yet counted
  STATS              posts                    how many posts are published
  AUTHORS            <username>               how many posts an author has published
  POST#<slug>        FAV#<username>           a user's favorite (GSI1: FAVBY#<username>)
  USER#<username>    #FAVORITES               how many posts a user has favorited
  USER#<username>    FOLLOWS#<username>       one user follows another
  COMMENTER#<id>     #APPROVED                a commenter (user or e-mail hash) once approved
  COMMENTER#<id>     COMMENT#<created>#<ulid> one comment of that commenter ("user:<name>" or
                                              "email:<keyed hash>"), written with the comment:
                                              finds a person's comments without a Scan
  DATARATE#<hash>#<n>  #RATE                  personal-data requests of one account or address
                                              in window n (TTL)
  DATALINK#<ulid>    #USED                    a mailed personal-data link spent on a deletion (TTL)
  DATAREQ#<ulid>     #DATAREQ                 a personal-data link to mail (the stream sends it;
                                              TTL)
  RESETREQ#<ulid>    #RESETREQ                a password-reset link to mail (the stream sends it; TTL)
  RESETRATE#<hash>#<n>  #RATE                 password-reset requests from one address, or for one
                                              recipient, in window n (TTL)
  SIGNINREQ#<ulid>   #SIGNINREQ               a sign-in link to mail (the stream sends it; TTL)
  SIGNINLINK#<ulid>  #SIGNINLINK              a mailed sign-in link not used yet: its address, the account
                                              it was mailed for, where it returns (TTL; deleted by its use)
  SIGNINRATE#<hash>#<n>  #RATE                sign-in link requests from one address, or for one
                                              recipient, in window n (TTL)
  PASSKEY#<credential id>  #PASSKEY           a registered passkey (WebAuthn credential): its account (id and
                                              name), public key and signature counter (GSI1: PASSKEYS#<account id>)
  PASSKEYCEREMONY#<ulid>  #CEREMONY           a passkey challenge not answered yet: registration (bound to an
                                              account and its token_version) or sign-in (TTL; deleted by its use)
  RATE#<iphash>#<n>  #RATE                    comments from one address in window n (TTL)
  VOTERATE#<iphash>#<n>  #RATE                votes from one address in window n (TTL)
  CHALLENGERATE#<iphash>#<n>  #RATE           comments from one address in window n of CHALLENGE_WHEN=after:N/SECONDS:
                                              past N, the next comment needs the challenge (TTL)
  LOGINFAIL#<hash>#<n>   #RATE              failed logins of one account (e-mail hash) or address in window n (TTL)
  SIGNUPRATE#<iphash>#<n>  #RATE             sign-up attempts from one address in window n (TTL)
  PREVIEWRATE#<caller>#<n>  #RATE            previews by one account (U<name>) or address (A<iphash>) in window n (TTL)
  DUP#<slug>#<hash>  #DUP                     a comment body recently posted on a post (TTL)
  FORMUSED#<sig>     #USED                    a comment form token spent by the comment it sent (TTL)
  IDEM#<scope>#<key> #IDEM                    a stored response for an Idempotency-Key (TTL)
  AUDIT              <at>#<ulid>              one moderation action
  BAN#<subject>      #BAN                     a ban or shadow-ban of "user:<name>", "email:<keyed hash>" or
                                              "address:<keyed hash>" (the identities COMMENTER# and the
                                              rate limits use), with its reason and expiry (TTL)
  OPTOUT#<sha256>    #OPTOUT                  an e-mail address (by its SHA-256) that unsubscribed
  IMPORTED#<sha256>  #IMPORTED               an item brought in by the importer, by its source id
                                              (SHA-256 of "<format>|<source id>"): the slug it became;
                                              of "author|<format>|<name>": the account a post author became
  NOTIFIED#<ulid>#<sha256>  #NOTIFIED         a notification about a comment sent (or being sent)
                                              to an address; makes stream redeliveries no-ops (TTL)
                                              ("confirm" for the ulid: a confirmation request)
  WEBHOOK#<event id>#<url hash>  #WEBHOOK     an event sent (or being sent) to one webhook receiver;
                                              makes stream redeliveries no-ops (TTL)
  AKISMET#<ulid>     #AKISMET                 what Akismet needs of a new comment's request (address,
                                              browser, referrer) and its verdict; written with the
                                              comment when Akismet is on; the stream checks it (TTL)
  AKISMETSENT#<audit SK>  #AKISMETSENT        a moderator's verdict sent to Akismet (or being sent) (TTL)
  MODLINK#<sha256 of the link's token>  #MODLINK  a moderation link from an e-mail, used (TTL)
  CONFIRMED#<ehash>  #CONFIRMED               an e-mail address (keyed hash) its owner confirmed
  MAILRATE#<ehash>#<day>  #MAILRATE           mails to one address on one day (TTL)
  SUBS#<slug>        SUB#<ehash>              a thread subscription (pending with a TTL, or confirmed)
  SUBBY#<ehash>      <slug>                   the same subscription, found by its address (export, deletion)
  DIGESTSEEN#<slug>#<ehash>#<ulid>  #SEEN     a comment queued for that subscriber once (TTL)
  DIGEST#<slug>#<ehash>  <due>#<ulid>         a comment waiting in the digest due at <due> (epoch, 10 digits)
  DIGESTDUE          <due>#<slug>#<ehash>     a digest to send once <due> has passed (the scheduler's Query)
  HELDSEEN#<user>#<episode>  #SEEN            a held comment's stay (blog/moderation_mail.held_episode) queued
                                              once for a moderator whose mail quota was spent (TTL)
  HELDDIGEST#<user>  <due>#<episode>          a held comment waiting in that moderator's digest due at <due>
  HELDDUE            <due>#<user>             a held-comment digest to send once <due> has passed (the
                                              scheduler's Query; <user>: the moderator's casefolded name)
  POST#<slug>        ~SEARCH                  what search shows of a visible post (title, plain text,
                                              labels, date) and the terms it is indexed under; last
                                              of the partition, after the post, its summary and comments
  TERM#<term>        <999-score>#<slug>       one posting: a visible post holds the term (best first),
                                              with its published_at (blog/search.py, kept from the stream)
  CTERM#<term>       <created_at>#<ulid>#<C|H>  a comment (public C, or held H) holds the term, with its
                                              post and status: the console's comment search (newest
                                              first; blog/comment_search.py, kept from the stream)

Sparse indexes:
  GSI1  POSTS / <published_at>#<slug>                 (on summary items) published and scheduled posts
  GSI1  DRAFTS / <updated_at>#<slug>                  (on summary items) every author's drafts, for admins
  GSI1  FAVBY#<username> / <favorited_at>#<slug>      (on favorites) what a user favorited
  GSI1  MODQUEUE#<status> / <created_at>#<ulid>       (on held comments) the moderation queue
  GSI2  MODAUTHOR#<author>#<status> / <created_at>#<ulid>  (on held comments) the same queue, of one
                                                      author's posts (casefolded name; the console's
                                                      per-author queue)
  GSI1  SCORES#<slug> / <score, offset>#<ulid>        (on public comments) a post's comments by score
  GSI2  AUTHOR#<username> / P#<published_at>#<slug>   (on summary items) an author's visible posts
        AUTHOR#<username> / D#<updated_at>#<slug>     an author's drafts
  GSI2  COMMENTS / <created_at>#<ulid>                (on public comments) newest comments site-wide,
                                                      for the comments feed; a tombstone drops these keys
  GSI1  ACCOUNTS / <username, casefolded>             (on accounts) every account, for the admin's list;
                                                      written at sign-up, by deploy.admin and on a role change
                                                      (accounts made before it join on their next role change,
                                                      or by make migrate)
  GSI1  PASSKEYS#<account id> / <created_at>#<credential id>  (on passkeys) one account's passkeys
  GSI1  BANS / <created_at>#<subject>                 (on bans) every ban, newest first, for the console
  GSI2  AUDITPOST#<slug> / <at>#<ulid>                (on audit entries) one post's moderation trail
  GSI2  VOTER#user:<name> / <comment ulid>            (on a signed-in voter's votes) an account's votes,
                                                      for its own data and its deletion
  GSI2  REACTOR#user:<name> / <slug>#<target>#<emoji> (on a signed-in reader's reactions) an account's
                                                      reactions, for its own data and its deletion
  GSI2  ADMINS / <username, casefolded>               (on accounts whose stored role is admin) admins
                                                      made by deploy.admin, for held-comment mail; a role
                                                      change removes it (make migrate adds older ones)
A scheduled post carries its future published_at in these sort keys, so every
listing hides it by key range alone (SK <= now) until it is due.
"""

from __future__ import annotations

import unicodedata
from typing import Final

Key = dict[str, str]

POST_SK: Final = "#POST"
POST_SUMMARY_SK: Final = "#SUMMARY"
# "#SUMMARY" < "#THREAD#PIN" < "COMMENT#": read with the summary and the first comments.
PIN_SK: Final = "#THREAD#PIN"
COMMENT_PREFIX: Final = "COMMENT#"
HELD_PREFIX: Final = "HELD#"
VOTE_PREFIX: Final = "VOTE#"
REACTION_PREFIX: Final = "REACT#"
USER_SK: Final = "#USER"
FAVORITES_SK: Final = "#FAVORITES"
REF_SK: Final = "#REF"
DATA_REQUEST_PREFIX: Final = "DATAREQ#"
RESET_REQUEST_PREFIX: Final = "RESETREQ#"
SIGN_IN_REQUEST_PREFIX: Final = "SIGNINREQ#"
AUDIT_PARTITION: Final = "AUDIT"
RECENT_COMMENTS_PARTITION: Final = "COMMENTS"
POSTS_PARTITION: Final = "POSTS"
DRAFTS_PARTITION: Final = "DRAFTS"
LABELS_PARTITION: Final = "LABELS"
ARCHIVE_PARTITION: Final = "ARCHIVE"
SCHEDULE_PARTITION: Final = "SCHEDULE"
STATS_PARTITION: Final = "STATS"
AUTHORS_PARTITION: Final = "AUTHORS"
FAVORITE_PREFIX: Final = "FAV#"
FOLLOWS_PREFIX: Final = "FOLLOWS#"
PUBLISHED_PREFIX: Final = "P#"
DRAFT_PREFIX: Final = "D#"
# Sorts after every character used in an ISO timestamp and a slug separator,
# so "<timestamp>" + END is an inclusive upper bound for "<timestamp>#<slug>".
END: Final = "\uffff"


def post_partition(slug: str) -> str:
    return f"POST#{slug}"


def slug_of_post_partition(partition: str) -> str:
    """The slug a post's partition key (post_partition) names."""
    return partition.removeprefix("POST#")


def slug_alias(slug: str) -> Key:
    """A slug a post was renamed to, pointing at its permanent partition (see the table above)."""
    return {"PK": f"SLUG#{slug}", "SK": "#SLUG"}


def post(slug: str) -> Key:
    return {"PK": post_partition(slug), "SK": POST_SK}


def post_summary(slug: str) -> Key:
    """The post's small item: its list summary and counts (see the table above)."""
    return {"PK": post_partition(slug), "SK": POST_SUMMARY_SK}


def comment(slug: str, comment_id: str) -> Key:
    return {"PK": post_partition(slug), "SK": COMMENT_PREFIX + comment_id}


def held_comment(slug: str, comment_id: str) -> Key:
    return {"PK": post_partition(slug), "SK": HELD_PREFIX + comment_id}


def thread_pin(slug: str) -> Key:
    """The post's pinned comment: sorts between its summary item and its comments (see the table above)."""
    return {"PK": post_partition(slug), "SK": PIN_SK}


def author_queue(author: str, status: str) -> str:
    return f"MODAUTHOR#{author.casefold()}#{status}"


def author_queue_keys(author: str, status: str, created_at: str, comment_id: str) -> Key:
    """GSI2 keys of a held comment: its post's author's queue."""
    return {"GSI2PK": author_queue(author, status), "GSI2SK": f"{created_at}#{comment_id}"}


def moderation_queue(status: str) -> str:
    return f"MODQUEUE#{status}"


def moderation_queue_keys(status: str, created_at: str, comment_id: str) -> Key:
    return {"GSI1PK": moderation_queue(status), "GSI1SK": f"{created_at}#{comment_id}"}


def commenter_approved(identity: str) -> Key:
    return {"PK": f"COMMENTER#{identity}", "SK": "#APPROVED"}


def commenter_partition(identity: str) -> str:
    return f"COMMENTER#{identity}"


def commenter_comment(identity: str, created_at: str, comment_id: str) -> Key:
    """One comment of a commenter (threads.commenter_identity), in time order: their own data, found by Query."""
    return {"PK": commenter_partition(identity), "SK": f"{COMMENT_PREFIX}{created_at}#{comment_id}"}


def commenter_item(identity: str, sort_key: str) -> Key:
    """Any item of a commenter's partition (an index entry, their approval), by its sort key: moved on re-keying."""
    return {"PK": commenter_partition(identity), "SK": sort_key}


def data_rate_window(subject_hash: str, window: int) -> Key:
    return {"PK": f"DATARATE#{subject_hash}#{window}", "SK": "#RATE"}


def data_link_used(request_id: str) -> Key:
    return {"PK": f"DATALINK#{request_id}", "SK": "#USED"}


def data_request(request_id: str) -> Key:
    return {"PK": DATA_REQUEST_PREFIX + request_id, "SK": "#DATAREQ"}


def reset_request(request_id: str) -> Key:
    return {"PK": RESET_REQUEST_PREFIX + request_id, "SK": "#RESETREQ"}


def reset_rate_window(subject_hash: str, window: int) -> Key:
    return {"PK": f"RESETRATE#{subject_hash}#{window}", "SK": "#RATE"}


def sign_in_request(request_id: str) -> Key:
    return {"PK": SIGN_IN_REQUEST_PREFIX + request_id, "SK": "#SIGNINREQ"}


def sign_in_link(link_id: str) -> Key:
    return {"PK": f"SIGNINLINK#{link_id}", "SK": "#SIGNINLINK"}


def sign_in_rate_window(subject_hash: str, window: int) -> Key:
    return {"PK": f"SIGNINRATE#{subject_hash}#{window}", "SK": "#RATE"}


def passkey(credential_id: str) -> Key:
    """A passkey by its credential id (base64url, as the browser sends it)."""
    return {"PK": f"PASSKEY#{credential_id}", "SK": "#PASSKEY"}


def passkeys_partition(account_id: str) -> str:
    return f"PASSKEYS#{account_id}"


def passkey_index_keys(account_id: str, created_at: str, credential_id: str) -> Key:
    """GSI1 keys of a passkey: its account's passkeys, oldest first."""
    return {"GSI1PK": passkeys_partition(account_id), "GSI1SK": f"{created_at}#{credential_id}"}


def passkey_ceremony(ceremony_id: str) -> Key:
    return {"PK": f"PASSKEYCEREMONY#{ceremony_id}", "SK": "#CEREMONY"}


def rate_window(address_hash: str, window: int) -> Key:
    return {"PK": f"RATE#{address_hash}#{window}", "SK": "#RATE"}


def challenge_window(address_hash: str, window: int) -> Key:
    return {"PK": f"CHALLENGERATE#{address_hash}#{window}", "SK": "#RATE"}


def vote_rate_window(address_hash: str, window: int) -> Key:
    return {"PK": f"VOTERATE#{address_hash}#{window}", "SK": "#RATE"}


def login_failures(subject_hash: str, window: int) -> Key:
    """Failed logins of an account ("E" + e-mail hash) or an address ("A" + address hash) in a window."""
    return {"PK": f"LOGINFAIL#{subject_hash}#{window}", "SK": "#RATE"}


def signup_rate_window(address_hash: str, window: int) -> Key:
    return {"PK": f"SIGNUPRATE#{address_hash}#{window}", "SK": "#RATE"}


def preview_rate_window(caller: str, window: int) -> Key:
    return {"PK": f"PREVIEWRATE#{caller}#{window}", "SK": "#RATE"}


def duplicate(slug: str, digest: str) -> Key:
    return {"PK": f"DUP#{slug}#{digest}", "SK": "#DUP"}


def form_token_used(signature: str) -> Key:
    """A form token, by its (verified) signature: unique per token, as each signs its own nonce."""
    return {"PK": f"FORMUSED#{signature}", "SK": "#USED"}


def idempotency(scope: str, key: str) -> Key:
    return {"PK": f"IDEM#{scope}#{key}", "SK": "#IDEM"}


def notify_optout(address_hash: str) -> Key:
    return {"PK": f"OPTOUT#{address_hash}", "SK": "#OPTOUT"}


def email_confirmed(email_hash: str) -> Key:
    return {"PK": f"CONFIRMED#{email_hash}", "SK": "#CONFIRMED"}


def mail_window(email_hash: str, day: int) -> Key:
    return {"PK": f"MAILRATE#{email_hash}#{day}", "SK": "#MAILRATE"}


def sender_mail_window(email_hash: str, sender_hash: str, day: int) -> Key:
    """One sender's mails to one address in a day (notifications.within_daily_limit)."""
    return {"PK": f"MAILRATE#{email_hash}#{day}", "SK": f"#FROM#{sender_hash}"}


def notification_sent(comment_id: str, address_hash: str) -> Key:
    return {"PK": f"NOTIFIED#{comment_id}#{address_hash}", "SK": "#NOTIFIED"}


def webhook_sent(event_id: str, receiver_hash: str) -> Key:
    return {"PK": f"WEBHOOK#{event_id}#{receiver_hash}", "SK": "#WEBHOOK"}


def moderation_link_used(token_hash: str) -> Key:
    return {"PK": f"MODLINK#{token_hash}", "SK": "#MODLINK"}


def imported(source_digest: str) -> Key:
    """What one source item (a post of another blog's export) became here; the importer's resume point."""
    return {"PK": f"IMPORTED#{source_digest}", "SK": "#IMPORTED"}


AKISMET_CONTEXT_SK: Final = "#AKISMET"


def akismet_context(comment_id: str) -> Key:
    return {"PK": f"AKISMET#{comment_id}", "SK": AKISMET_CONTEXT_SK}


def akismet_feedback_sent(audit_sort_key: str) -> Key:
    return {"PK": f"AKISMETSENT#{audit_sort_key}", "SK": "#AKISMETSENT"}


BANS_PARTITION: Final = "BANS"


def ban(subject: str) -> Key:
    """A ban of one commenter identity (blog/bans.py), read with the comment's other items."""
    return {"PK": f"BAN#{subject}", "SK": "#BAN"}


def ban_index_keys(created_at: str, subject: str) -> Key:
    """GSI1 keys of a ban: every ban, by when it was made."""
    return {"GSI1PK": BANS_PARTITION, "GSI1SK": f"{created_at}#{subject}"}


def audit_entry(at: str, entry_id: str) -> Key:
    return {"PK": AUDIT_PARTITION, "SK": f"{at}#{entry_id}"}


def audit_post_partition(slug: str) -> str:
    return f"AUDITPOST#{slug}"


def audit_post_index_keys(slug: str, at: str, entry_id: str) -> Key:
    """GSI2 keys of an audit entry: the trail of one post."""
    return {"GSI2PK": audit_post_partition(slug), "GSI2SK": f"{at}#{entry_id}"}


ACCOUNTS_PARTITION: Final = "ACCOUNTS"
ADMINS_PARTITION: Final = "ADMINS"


def stored_admin_index_keys(username: str) -> Key:
    """GSI2 keys of an account whose stored role is admin: every such admin, for the held-comment mail."""
    return {"GSI2PK": ADMINS_PARTITION, "GSI2SK": username.casefold()}


def account_index_keys(username: str) -> Key:
    """GSI1 keys of an account: every account, by name, for the admin's list of people."""
    return {"GSI1PK": ACCOUNTS_PARTITION, "GSI1SK": username.casefold()}


def recent_comment_index_keys(created_at: str, comment_id: str) -> Key:
    """GSI2 keys of a public comment: every standing comment of the blog, by time."""
    return {"GSI2PK": RECENT_COMMENTS_PARTITION, "GSI2SK": f"{created_at}#{comment_id}"}


def vote(slug: str, comment_id: str, voter: str) -> Key:
    return {"PK": post_partition(slug), "SK": f"{VOTE_PREFIX}{comment_id}#{voter}"}


def voter_partition(voter: str) -> str:
    return f"VOTER#{voter}"


def voter_index_keys(voter: str, comment_id: str) -> Key:
    """GSI2 keys of an account's vote ("user:<name>" voters only): the account's votes, without a Scan."""
    return {"GSI2PK": voter_partition(voter), "GSI2SK": comment_id}


def reaction(slug: str, target: str, reactor: str, emoji: str) -> Key:
    """One reader's reaction of one kind on a post ("post") or a comment (its ulid); outside the page's Query range."""
    return {"PK": post_partition(slug), "SK": f"{REACTION_PREFIX}{target}#{reactor}#{emoji}"}


def reactor_partition(reactor: str) -> str:
    return f"REACTOR#{reactor}"


def reactor_index_keys(reactor: str, slug: str, target: str, emoji: str) -> Key:
    """GSI2 keys of an account's reaction ("user:<name>" reactors only): its reactions, without a Scan."""
    return {"GSI2PK": reactor_partition(reactor), "GSI2SK": f"{slug}#{target}#{emoji}"}


def scores_partition(slug: str) -> str:
    return f"SCORES#{slug}"


# Scores sort as text: offset them to stay positive and pad them to one width.
_SCORE_OFFSET = 1_000_000_000


def score_index_keys(slug: str, score: int, comment_id: str) -> Key:
    return {"GSI1PK": scores_partition(slug), "GSI1SK": f"{_SCORE_OFFSET + score:010d}#{comment_id}"}


def comment_ref(comment_id: str) -> Key:
    return {"PK": f"COMMENTREF#{comment_id}", "SK": REF_SK}


def user(username: str) -> Key:
    # Usernames are unique regardless of case: "Alice" cannot sign up beside "alice".
    return {"PK": user_partition(username), "SK": USER_SK}


RENAME_SK: Final = "#RENAME"


def rename_job(account_id: str) -> Key:
    return {"PK": f"RENAME#{account_id}", "SK": RENAME_SK}


def email(address: str) -> Key:
    return {"PK": f"EMAIL#{address}", "SK": "#EMAIL"}


def timeline_sort_key(published_at: str, slug: str) -> str:
    return f"{published_at}#{slug}"


def label_key(label: str) -> str:
    """A label's identity: "News", "news" and " news " (as typed in a query) are one label."""
    return " ".join(unicodedata.normalize("NFC", label).split()).casefold()


def label_partition(label: str) -> str:
    return f"LABEL#{label}"


def label_member(label: str, published_at: str, slug: str) -> Key:
    return {"PK": label_partition(label), "SK": timeline_sort_key(published_at, slug)}


def label_count(label: str) -> Key:
    return {"PK": LABELS_PARTITION, "SK": label}


def archive_count(month: str) -> Key:
    return {"PK": ARCHIVE_PARTITION, "SK": month}


def schedule_entry(published_at: str, slug: str) -> Key:
    return {"PK": SCHEDULE_PARTITION, "SK": timeline_sort_key(published_at, slug)}


def posts_count() -> Key:
    return {"PK": STATS_PARTITION, "SK": "posts"}


def author_count(username: str) -> Key:
    return {"PK": AUTHORS_PARTITION, "SK": username.casefold()}


def user_partition(username: str) -> str:
    return f"USER#{username.casefold()}"


def favorite(slug: str, username: str) -> Key:
    return {"PK": post_partition(slug), "SK": FAVORITE_PREFIX + username.casefold()}


def favorites_partition(username: str) -> str:
    return f"FAVBY#{username.casefold()}"


def favorites_index_keys(username: str, favorited_at: str, slug: str) -> Key:
    return {"GSI1PK": favorites_partition(username), "GSI1SK": timeline_sort_key(favorited_at, slug)}


def favorites_count(username: str) -> Key:
    return {"PK": user_partition(username), "SK": FAVORITES_SK}


def follow(follower: str, followee: str) -> Key:
    return {"PK": user_partition(follower), "SK": FOLLOWS_PREFIX + followee.casefold()}


def slug_from_timeline_sort_key(sort_key: str) -> str:
    # published_at never contains "#", so the slug is everything after the first one.
    return sort_key.split("#", 1)[1]


def listing_index_keys(published_at: str, slug: str) -> Key:
    return {"GSI1PK": POSTS_PARTITION, "GSI1SK": timeline_sort_key(published_at, slug)}


def drafts_index_keys(updated_at: str, slug: str) -> Key:
    """GSI1 keys of a draft's summary item: every author's drafts, last changed first (an admin's list)."""
    return {"GSI1PK": DRAFTS_PARTITION, "GSI1SK": timeline_sort_key(updated_at, slug)}


def author_partition(username: str) -> str:
    return f"AUTHOR#{username.casefold()}"


def author_index_keys(username: str, sort_key: str) -> Key:
    return {"GSI2PK": author_partition(username), "GSI2SK": sort_key}


def author_visible_sort_key(published_at: str, slug: str) -> str:
    return PUBLISHED_PREFIX + timeline_sort_key(published_at, slug)


def author_draft_sort_key(updated_at: str, slug: str) -> str:
    return DRAFT_PREFIX + timeline_sort_key(updated_at, slug)


INDEX_KEY_ATTRIBUTES: Final = ("GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")


# Cursor scopes: a cursor is signed for one list (and its filters), so it cannot be replayed on another.
def comments_scope(slug: str) -> str:
    return f"comments|{slug}"


SUBSCRIPTION_PREFIX: Final = "SUB#"
DIGESTS_DUE_PARTITION: Final = "DIGESTDUE"


def subscriptions_partition(slug: str) -> str:
    """A post's thread subscribers, read from the stream when a comment appears (never a Scan)."""
    return f"SUBS#{slug}"


def subscription(slug: str, email_hash: str) -> Key:
    return {"PK": subscriptions_partition(slug), "SK": SUBSCRIPTION_PREFIX + email_hash}


def subscriber_partition(email_hash: str) -> str:
    return f"SUBBY#{email_hash}"


def subscriber_entry(email_hash: str, slug: str) -> Key:
    """The subscription seen from its address: an address's own data and its deletion, by Query."""
    return {"PK": subscriber_partition(email_hash), "SK": slug}


def digest_seen(slug: str, email_hash: str, comment_id: str) -> Key:
    return {"PK": f"DIGESTSEEN#{slug}#{email_hash}#{comment_id}", "SK": "#SEEN"}


def digest_partition(slug: str, email_hash: str) -> str:
    return f"DIGEST#{slug}#{email_hash}"


def digest_window(due: int) -> str:
    """The sort-key prefix of one digest's comments: its due time, zero-padded so that keys sort by time."""
    return f"{due:010d}#"


def digest_entry(slug: str, email_hash: str, due: int, comment_id: str) -> Key:
    return {"PK": digest_partition(slug, email_hash), "SK": digest_window(due) + comment_id}


def digest_due(due: int, slug: str, email_hash: str) -> Key:
    return {"PK": DIGESTS_DUE_PARTITION, "SK": f"{digest_window(due)}{slug}#{email_hash}"}


HELD_DIGESTS_DUE_PARTITION: Final = "HELDDUE"


def held_digest_seen(username: str, episode: str) -> Key:
    return {"PK": f"HELDSEEN#{username.casefold()}#{episode}", "SK": "#SEEN"}


def held_digest_partition(username: str) -> str:
    return f"HELDDIGEST#{username.casefold()}"


def held_digest_entry(username: str, due: int, episode: str) -> Key:
    return {"PK": held_digest_partition(username), "SK": digest_window(due) + episode}


def held_digest_due(due: int, username: str) -> Key:
    return {"PK": HELD_DIGESTS_DUE_PARTITION, "SK": digest_window(due) + username.casefold()}


# After everything else of the post's partition ("~" sorts after every letter): "#SEARCH" fell between
# "#POST" and "#SUMMARY", and the post page's one Query of its first two items lost the counts.
SEARCH_DOC_SK: Final = "~SEARCH"
TERM_PREFIX: Final = "TERM#"


def search_doc(slug: str) -> Key:
    return {"PK": post_partition(slug), "SK": SEARCH_DOC_SK}


def term_partition(term: str) -> str:
    return f"{TERM_PREFIX}{term}"


def posting(term: str, score: int, slug: str) -> Key:
    """Scores run 0..999; the sort key holds 999 - score so a Query reads the best postings first."""
    return {"PK": term_partition(term), "SK": f"{999 - score:03d}#{slug}"}


COMMENT_TERM_PREFIX: Final = "CTERM#"


def comment_term_partition(term: str) -> str:
    return f"{COMMENT_TERM_PREFIX}{term}"


def comment_posting(term: str, created_at: str, comment_id: str, held: bool) -> Key:
    """One per term, comment and item (a held one and its approved copy are two): a stream record of one
    never removes the other's, whatever order a batch delivers them in."""
    return {"PK": comment_term_partition(term), "SK": f"{created_at}#{comment_id}#{'H' if held else 'C'}"}
