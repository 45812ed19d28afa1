import { createBrowserRouter, Navigate } from "react-router";
import { AdminPage, adminRoutes } from "./admin-page.tsx";
import { AppShell } from "./app-shell.tsx";
import { ContactsPage, NoContactSelected } from "./contacts-page.tsx";
import { ExternalContactPage } from "./external-contact-page.tsx";
import { LineInvitationPage } from "./line-invitation-page.tsx";
import { MessagePage, NoRoomSelected } from "./message-page.tsx";
import { NotFoundPage } from "./not-found-page.tsx";
import { ProfilePage } from "./profile-page.tsx";
import { RouteError } from "./route-error.tsx";
import { SignInPage } from "./sign-in-page.tsx";
import { RoomView } from "../features/rooms/room-view.tsx";
import { ContactView } from "../features/contacts/contact-details.tsx";
import { TrashView } from "../features/contacts/trash-view.tsx";
import { NewContactForm } from "../features/contacts/new-contact-form.tsx";

/** Later features (rooms, contacts, invitations) add their routes under the shell here. */
export function createAppRouter() {
  return createBrowserRouter([
    { path: "/signin", element: <SignInPage />, errorElement: <RouteError /> },
    {
      path: "/",
      element: <AppShell />,
      errorElement: <RouteError />,
      children: [
        { index: true, element: <Navigate to="/message" replace /> },
        {
          path: "message",
          element: <MessagePage />,
          children: [
            { index: true, element: <NoRoomSelected /> },
            { path: ":roomId", element: <RoomView /> },
          ],
        },
        {
          path: "contacts",
          element: <ContactsPage />,
          children: [
            { index: true, element: <NoContactSelected /> },
            { path: ":contactId", element: <ContactView /> },
          ],
        },
        { path: "contacts/trash", element: <TrashView /> },
        {
          path: "contacts/new",
          element: <ExternalContactPage />,
          children: [
            { path: "line", element: <LineInvitationPage /> },
            { path: "manual", element: <NewContactForm /> },
          ],
        },
        { path: "admin", element: <AdminPage />, children: adminRoutes },
        { path: "me", element: <ProfilePage /> },
        { path: "*", element: <NotFoundPage /> },
      ],
    },
  ]);
}
