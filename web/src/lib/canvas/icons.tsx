// Toolbar icons of the comic tools, drawn inline (tldraw clones them and adds its classes and label).
import type { HTMLAttributes, ReactNode } from 'react';

type IconProps = HTMLAttributes<HTMLDivElement>;

function Icon({ children, className, ...props }: IconProps & { children: ReactNode }) {
  return (
    <div role="img" {...props} className={`inkwell-tool-icon ${className ?? ''}`}>
      <svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinejoin="round" strokeLinecap="round">
        {children}
      </svg>
    </div>
  );
}

export const SpeechBubbleIcon = (props: IconProps) => (
  <Icon {...props}>
    <path d="M12 4c4.7 0 8.5 2.9 8.5 6.5S16.7 17 12 17c-.9 0-1.8-.1-2.6-.3L5 20l1.2-4.3C4.5 14.5 3.5 12.6 3.5 10.5 3.5 6.9 7.3 4 12 4z" />
  </Icon>
);

export const CaptionIcon = (props: IconProps) => (
  <Icon {...props}>
    <rect x="3" y="6" width="18" height="12" rx="1" />
    <path d="M7 10.5h10M7 13.5h6" />
  </Icon>
);

export const PanelIcon = (props: IconProps) => (
  <Icon {...props}>
    <rect x="3" y="3" width="18" height="18" rx="1" />
    <path d="M3 12h18M12 3v9" />
  </Icon>
);

export const ThoughtIcon = (props: IconProps) => (
  <Icon {...props}>
    <path d="M12 4.5c4.4 0 8 2.5 8 5.6s-3.6 5.6-8 5.6-8-2.5-8-5.6 3.6-5.6 8-5.6z" />
    <circle cx="7" cy="18.5" r="1.5" />
    <circle cx="4.5" cy="21" r="0.8" />
  </Icon>
);

export const ShoutIcon = (props: IconProps) => (
  <Icon {...props}>
    <path d="M12 2.5l2 3.6 4-1.6-.6 4.1 4.1 1.4-3.3 2.6 2.4 3.4-4.2.3-.3 4.2-3.5-2.3-2.7 3.3-1.4-4-4.1.9 1.3-4L2 12.6l3.8-1.9-1.3-4 4.2.6z" />
  </Icon>
);
