// The flash at GO (and at a decoy): the whole viewport, once, 250 ms. At most
// one per round, so never more than 3 a second; none at all for a reader who
// asked for reduced motion.
import { css } from 'lit';

export const flashStyles = css`
  .flash {
    position: fixed;
    inset: 0;
    pointer-events: none;
    z-index: 10;
    opacity: 0;
    animation: flash 250ms ease-out 1;
  }
  .flash.go { background: var(--flash-go, #2bff88); }
  .flash.decoy { background: var(--flash-decoy, #ff7a00); }
  @keyframes flash {
    from { opacity: 0.55; }
    to { opacity: 0; }
  }
  @media (prefers-reduced-motion: reduce) {
    .flash { display: none; }
  }
`;
