"""The checking engine: (handle, platform) pairs in, Results out, as they complete.

Every pair yields exactly one Result. Errors are data: a failed request is an `unknown`
result with a reason, never an exception.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable, Hashable, Iterable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType

from ..models import Check, HttpRequest, HttpResponse, Platform, Profile, Reason, RequestSpec, Result, Verdict
from ..pages import ProfilePage, blank, withheld
from ..rules import (
    Decision,
    MissingVariable,
    ResponseView,
    UnsafeValue,
    build_request,
    challenge_signal,
    decide,
    extract,
    login_wall_signal,
    patterns,
    read_profile,
    render_url,
)
from ..rules.addresses import template_refusal
from ..rules.handles import canonical, case_folded, why_invalid
from .http import HttpClient, HttpOptions
from .politeness import SharedTurns, host_key
from .reachability import Reachability
from .scheduler import FairScheduler
from .sending import FetchError, not_sent

log = logging.getLogger(__name__)
ANSWER_CACHE_SIZE = 20_000
LOOKAHEAD = 20_000


@dataclass(frozen=True, slots=True)
class _Attempt:
    decision: Decision
    http_status: int | None


class Checker:
    """Checks handles against platforms over one HTTP session.

    Use as `async with Checker(options) as checker: async for r in checker.run(handles, platforms)`.
    """

    def __init__(
        self,
        options: HttpOptions | None = None,
        *,
        recall: Callable[[str, Platform], Result | None] | None = None,
        environ: Mapping[str, str] | None = None,
        shared: SharedTurns | None = None,
    ) -> None:
        """`recall(handle, platform)` may return a stored answer to use instead of asking again.
        `environ` holds the credentials platforms name in `secrets` (default: os.environ).
        `shared`: the hosts' budgets shared with other processes (see `HttpClient`)."""
        self.options = options or HttpOptions()
        self._recall = recall
        self._environ = os.environ if environ is None else environ
        self._client = HttpClient(self.options, shared=shared)
        self._prefetches: dict[tuple[str, int], asyncio.Future[dict[str, str] | Decision]] = {}
        # Answers shared within a session, bounded so that a bulk run's memory stays flat.
        self._answers: OrderedDict[tuple[str, str], asyncio.Future[Result]] = OrderedDict()

    async def __aenter__(self) -> Checker:
        self._patterns = patterns.own_run()
        await self._client.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for prefetch in self._prefetches.values():
            prefetch.cancel()
        for answer in self._answers.values():
            answer.cancel()
        await self._client.__aexit__(exc_type, exc, tb)
        patterns.end_run(self._patterns)

    async def run(self, handles: Sequence[str], platforms: Sequence[Platform]) -> AsyncGenerator[Result, None]:
        """Yield one Result per (handle, platform) as each completes.

        The most rate-limited platforms come first, so their hosts are first in the
        scheduler's line; each host then keeps its own pace (see `run_pairs`).
        """
        ordered = sorted(platforms, key=self.pace, reverse=True)
        async with aclosing(self.run_pairs((h, p) for h in handles for p in ordered)) as results:
            async for result in results:
                yield result

    @property
    def reachability(self) -> Reachability:
        """What the session has learnt of the network (see `reachability`). A check worker
        replaces it with one that reports to its coordinator, where the run's one decides."""
        return self._client.reachability

    @reachability.setter
    def reachability(self, shared: Reachability) -> None:
        self._client.reachability = shared

    def go_offline(self, why: str) -> None:
        """The run is offline (decided elsewhere: a coordinator): every request to come fails at once."""
        self._client.reachability.offline = why
        self._client.stop_asking(why)

    def pace(self, platform: Platform) -> float:
        """Seconds per request a platform's host allows: the slowest hosts are the critical
        path of a run, so their requests are started first."""
        policy = platform.rate_limit or self.options.host_policy
        return policy.interval / policy.concurrency

    def slowest_first(self, pairs: Iterable[tuple[str, Platform]]) -> list[tuple[str, Platform]]:
        """`pairs` with those of the most rate-limited platforms first, otherwise in order:
        every request a slow host must serve is queued from the start, not found late."""
        return sorted(pairs, key=lambda pair: self.pace(pair[1]), reverse=True)

    async def run_pairs(self, pairs: Iterable[tuple[str, Platform]]) -> AsyncGenerator[Result, None]:
        """Yield one Result per pair as each completes, each host served at its own pace (see
        `scheduler`): at most four checks per request `concurrency` allows in progress (a
        check waiting for its host's turn costs little; the HTTP client still caps requests in
        flight at `concurrency`), and a bounded number of pairs read ahead, so memory stays
        flat however many pairs there are."""
        scheduler: FairScheduler[tuple[str, Platform], Result] = FairScheduler(
            lambda pair: self.check_one(*pair),
            lambda pair: self._host_of(pair[1]),
            self._client.slots,
            running=4 * self.options.concurrency,
            lookahead=LOOKAHEAD,
        )
        async with aclosing(scheduler.run(pairs)) as results:  # its checks end with it
            async for result in results:
                yield result

    def _host_of(self, platform: Platform) -> Hashable:
        """The host a platform's first request goes to: the queue its checks wait in."""
        if not platform.checks:
            return platform.id
        key = host_key(platform.checks[0].request.url)
        self._client.limiter(key, platform.rate_limit)
        return key

    async def check_one(self, handle: str, platform: Platform) -> Result:
        """The verdict of one platform on one (already normalised) handle.

        Asked twice in one session (a brand variant that is also a lookalike candidate), the
        platform is asked once; the second caller gets the same answer under its own handle."""
        key = (platform.id, canonical(handle, platform))
        known = self._answers.get(key)
        if known is None:
            known = self._answers[key] = asyncio.ensure_future(self._check(handle, platform))
            self._forget_old_answers()
        result = await asyncio.shield(known)
        return result if result.handle == handle else replace(result, handle=handle)

    def _forget_old_answers(self) -> None:
        while len(self._answers) > ANSWER_CACHE_SIZE:
            oldest_key, oldest = next(iter(self._answers.items()))
            if not oldest.done():
                return
            del self._answers[oldest_key]

    async def _check(self, handle: str, platform: Platform) -> Result:
        stored = self._recall(handle, platform) if self._recall is not None else None
        if stored is not None:
            return replace(stored, handle=handle)
        return await self.ask(handle, platform)

    async def ask(self, handle: str, platform: Platform) -> Result:
        """Ask the platform now: no stored answer recalled, none shared (what `check_one` does
        once per handle and platform in a session)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        profile_url = None
        verdict: Verdict = Verdict.UNKNOWN
        reason: Reason | None = Reason.UNEXPECTED_RESPONSE
        status: int | None = None
        evidence = ""
        query = case_folded(handle, platform)
        if platform.handle.strip:
            query = query.translate(str.maketrans("", "", platform.handle.strip)) or query
        problem = why_invalid(query, platform)
        if problem is None and platform.urls.profile:
            try:
                profile_url = render_url(platform.urls.profile, {"handle": query})
            except UnsafeValue:
                problem = "cannot stand in this platform's URL"
        if problem is not None:
            verdict, reason, evidence = Verdict.INVALID, None, f"handle {problem}"
        else:
            notes: list[str] = []
            for index, check in enumerate(platform.checks):
                try:
                    attempt = await self._run_check(query, platform, index, check)
                except Exception as exc:  # a bug must not lose the rest of the run
                    log.error(
                        "internal error checking %s on %s: %r",
                        handle,
                        platform.id,
                        exc,
                        exc_info=log.isEnabledFor(logging.DEBUG),
                    )
                    attempt = _Attempt(
                        Decision(Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE, f"internal error: {exc!r}"),
                        None,
                    )
                decision = attempt.decision
                verdict, reason, status = decision.verdict, decision.reason, attempt.http_status
                notes.append(decision.evidence)
                if verdict.conclusive:
                    break
            evidence = "; ".join(notes) if not verdict.conclusive else notes[-1]
            evidence = blank(evidence, self._secrets(platform).values())
        return Result(
            handle=handle,
            platform=platform.id,
            verdict=verdict,
            reason=reason,
            url=profile_url,
            http_status=status,
            elapsed_ms=round((loop.time() - started) * 1000),
            evidence=evidence,
            checked_at=datetime.now(UTC),
        )

    async def profile(self, handle: str, platform: Platform) -> Profile | None:
        """The public profile of an account, where the platform entry says how to read one.
        None when it does not, or when the profile could not be fetched."""
        if platform.profile is None:
            return None
        page = await self.profile_page(handle, platform)
        return page.profile if page is not None else None

    async def profile_page(self, handle: str, platform: Platform) -> ProfilePage | None:
        """The account's profile page as fetched, credentials and cookies withheld (the evidence of
        an impersonator), with the profile read from it where the platform entry says how: its
        profile request, else a GET of its profile URL. None when there is neither, or when the
        request could not be made or answered (a network failure, a refusal)."""
        spec = platform.profile
        request_spec = spec.request if spec is not None and spec.request is not None else None
        if request_spec is None and platform.urls.profile:
            request_spec = RequestSpec(platform.urls.profile)
        if request_spec is None or self._unsafe(request_spec) is not None:
            return None
        secrets = self._secrets(platform)
        try:
            request = build_request(request_spec, {"handle": handle}, secrets)
            response = await self._fetch(request, request_spec, platform)
        except (UnsafeValue, MissingVariable, FetchError):
            return None
        sent, got = withheld(request, response, secrets.values())
        page = ProfilePage(sent, got, datetime.now(UTC))
        view = ResponseView(response)
        if (
            spec is None
            or not 200 <= response.status < 300
            or challenge_signal(view, handle)
            or login_wall_signal(response, request.url)
        ):
            return page
        found = read_profile(spec.fields, response)
        if secrets:
            found = replace(
                found,
                display_name=found.display_name and blank(found.display_name, secrets.values()),
                bio=found.bio and blank(found.bio, secrets.values()),
            )
        return replace(page, profile=found)

    async def _fetch(self, request: HttpRequest, spec: RequestSpec, platform: Platform) -> HttpResponse:
        return await self._client.fetch(
            request, platform.rate_limit, host=host_key(spec.url), redirect_hosts=platform.redirect_hosts
        )

    def _unsafe(self, spec: RequestSpec) -> str | None:
        """Why a request template must not be sent (see `rules.addresses`), checked here as
        `platforms validate` checks it, for platforms that never passed through a file."""
        refusal = template_refusal(spec.url, allow_link_local=self.options.allow_link_local)
        return None if refusal is None else not_sent(refusal)

    def _secrets(self, platform: Platform) -> dict[str, str]:
        """The platform's credentials that the environment holds; missing ones are left out."""
        return {name: value for name, env in platform.secrets if (value := self._environ.get(env))}

    @staticmethod
    def _unfilled(platform: Platform, label: str, name: str) -> Decision:
        """A template variable had no value: a credential not set, or a prefetch that gave none."""
        env = dict(platform.secrets).get(name)
        if env is not None:
            return Decision(
                Verdict.UNKNOWN, Reason.MISSING_CREDENTIAL, f"{label}: needs the environment variable {env}, not set"
            )
        return Decision(Verdict.UNKNOWN, Reason.PREFETCH_FAILED, f"{label}: no value for {{{{{name}}}}}")

    async def _run_check(self, handle: str, platform: Platform, index: int, check: Check) -> _Attempt:
        label = f"check {index + 1}" + (f" ({check.name})" if check.name else "")
        variables = {"handle": handle}
        if check.prefetch is not None:
            prefetched = await self._prefetched(platform, index, check, label)
            if isinstance(prefetched, Decision):
                return _Attempt(prefetched, None)
            variables.update(prefetched)
        try:
            if (unsafe := self._unsafe(check.request)) is not None:
                raise UnsafeValue(unsafe)
            request = build_request(check.request, variables, self._secrets(platform))
        except UnsafeValue as exc:
            return _Attempt(Decision(Verdict.UNKNOWN, Reason.UNSAFE_REQUEST, f"{label}: {exc}"), None)
        except MissingVariable as exc:
            return _Attempt(self._unfilled(platform, label, exc.name), None)
        try:
            response = await self._fetch(request, check.request, platform)
        except FetchError as exc:
            return _Attempt(Decision(Verdict.UNKNOWN, exc.reason, f"{label}: {exc.detail}"), None)
        return _Attempt(decide(check, response, variables, label), response.status)

    async def _prefetched(self, platform: Platform, index: int, check: Check, label: str) -> dict[str, str] | Decision:
        """The variables a check's prefetch yields, fetched once per session and shared."""
        key = (platform.id, index)
        future = self._prefetches.get(key)
        if future is None:
            future = self._prefetches[key] = asyncio.ensure_future(self._do_prefetch(platform, check, label))
        return await asyncio.shield(future)

    async def _do_prefetch(self, platform: Platform, check: Check, label: str) -> dict[str, str] | Decision:
        assert check.prefetch is not None
        try:
            if (unsafe := self._unsafe(check.prefetch.request)) is not None:
                raise UnsafeValue(unsafe)
            request = build_request(check.prefetch.request, {}, self._secrets(platform))
            response = await self._fetch(request, check.prefetch.request, platform)
        except MissingVariable as exc:
            return self._unfilled(platform, f"{label}: prefetch", exc.name)
        except UnsafeValue as exc:
            return Decision(Verdict.UNKNOWN, Reason.PREFETCH_FAILED, f"{label}: prefetch: {exc}")
        except FetchError as exc:
            # Not reaching the host at all is a network fact, not a broken sign-up form.
            reason = exc.reason if exc.reason.unreachable else Reason.PREFETCH_FAILED
            return Decision(Verdict.UNKNOWN, reason, f"{label}: prefetch: {exc.detail}")
        try:
            return extract(check.prefetch.extract, response)
        except MissingVariable as exc:
            return Decision(
                Verdict.UNKNOWN,
                Reason.PREFETCH_FAILED,
                f"{label}: prefetch status {response.status} gave no usable {{{{{exc.name}}}}} "
                "(absent, empty or with a line break)",
            )
