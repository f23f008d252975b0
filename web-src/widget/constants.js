/* What several of the widget's modules share. */

// A thread of up to this many comments comes in one request (the API's largest thread page):
// one cacheable answer instead of a chain of small pages, each waiting for the one before.
export const PAGE_SIZE = 300;
export const SORTS = ["oldest", "newest", "score"];
export const FIELDS = ["body", "author_name", "author_email", "author_website"];
