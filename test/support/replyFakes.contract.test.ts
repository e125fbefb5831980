import { contactPk } from "../../lambdas/core/conversation.js";
import { contactStoreContract } from "./contracts/contactStore.js";
import { replyStoreContract } from "./contracts/replyStore.js";
import { MemoryContacts, MemoryReplies } from "./replyFakes.js";

/**
 * The in-memory fakes held to the ports' contracts: the same suites the DynamoDB stores pass on
 * DynamoDB Local (test/lambdas/adapters/conversationTable.contract.test.ts).
 */
contactStoreContract("in-memory fake", async () => {
  const store = new MemoryContacts();
  return {
    store,
    storedMessage: async (phone, sk) => {
      const item = store.messages.get(`${contactPk(phone)}|${sk}`);
      return item && structuredClone(item);
    },
  };
});

replyStoreContract("in-memory fake", async () => new MemoryReplies());
