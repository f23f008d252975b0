"""Import another blog's export into the table: Blogger, WordPress (WXR) and Disqus (formats.py);
Isso, Remark42, Commento, Ghost and folders of Markdown posts (sources/).

An operator command (`make import FILE=…`, `python -m importer`), never part of
the Lambda package: nothing under chalicelib/ imports it.

The work goes in three steps, each bounded in memory however large the file:
  1. read: the file is parsed as a stream (formats.py) into plain records, staged
     in a temporary SQLite file (staging.py);
  2. plan: comment threads are resolved from their ids alone (plan.py): orphans,
     tombstones, replies too deep, the order parents-before-replies;
  3. write: posts through the project's own post upkeep (labels, archive and
     counts in the post's transaction), comments in one transaction each with
     the counts they move (writer.py, comment_writer.py).
Every item keeps its source id, so a second run creates nothing and a run cut
off anywhere completes when run again.
"""
