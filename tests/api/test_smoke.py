from tests.conftest import Api, Blog, DynamoCalls


def test_walkthrough(api: Api, blog: Blog, dynamo: DynamoCalls) -> None:
    author = blog.author("alice")
    post = blog.post(author, title="Hello, world", labels=["news"])
    assert post["slug"] == "hello-world"
    got = api.get("/posts/hello-world")
    assert got.status == 200, got.body
    c = blog.comment("hello-world")
    r = blog.comment("hello-world", parent_id=c["comment"]["id"])
    listing = api.get("/posts/hello-world/comments")
    assert listing.status == 200, listing.body
    assert [i["id"] for i in listing.json["items"]] == [c["comment"]["id"], r["comment"]["id"]]
    assert api.get("/posts/hello-world").json["comment_count"] == 2
    print(api.get("/posts?label=news").json, api.get("/labels").json, api.get("/archive").json)
