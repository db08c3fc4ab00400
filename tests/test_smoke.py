from tests.support import Player
from tests.conftest import BOTH_BACKENDS

pytestmark = BOTH_BACKENDS  # a single Redis and a Redis Cluster (tests/conftest.py)


async def test_two_players_meet_through_quick_play(server, players):
    ann = Player(server.url)
    bob = Player(server.url)
    players += [ann, bob]
    await ann.join_game("Ann")
    await bob.join_game("Bob")
    assert (await ann.post("/queue/join")).status_code == 204
    await ann.wait_for(lambda t: "Looking for players" in t)
    assert (await bob.post("/queue/join")).status_code == 204
    await ann.wait_for(lambda t: "Room" in t and "Bob" in t)
    await bob.wait_for(lambda t: "Room" in t and "Ann" in t)
